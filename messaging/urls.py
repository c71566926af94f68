from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/m/<int:pk>/", views.message, name="message"),
    path("inbox/m/<int:pk>/archive", views.archive, name="archive"),
    path("inbox/<str:token>/", views.enter, name="enter"),
    path("m/o/<str:reference>.gif", views.open_pixel, name="open-pixel"),
]
