from django.urls import path

from preferences import views

app_name = "preferences"

urlpatterns = [
    path("preferences/<str:token>/", views.center, name="center"),
    path("preferences/<str:token>/resend", views.resend, name="resend"),
    path("preferences/<str:token>/my-data.json", views.export, name="export"),
    path("preferences/<str:token>/delete", views.erase, name="erase"),
    path("preferences/<str:token>/confirm", views.confirm, name="confirm"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
]
