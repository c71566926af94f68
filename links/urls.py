from django.conf import settings
from django.urls import path

from links import views

urlpatterns = [
    path("l/<str:slug>", views.link_open, name="link-open"),
    path("l/<str:slug>/qr.svg", views.qr_svg, name="link-qr-svg"),
    path("l/<str:slug>/qr.png", views.qr_png, name="link-qr-png"),
    path("p/<str:slug>", views.landing_page, name="landing-page"),
]

if settings.BENCH_BASELINE:  # never on in production: only the benchmark sets it
    urlpatterns.append(path("__bench__/redirect", views.bench_baseline, name="bench-baseline-redirect"))
