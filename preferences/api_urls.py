from django.urls import path

from preferences import api

urlpatterns = [
    path("customers/<str:external_id>/preferences", api.CustomerPreferencesApi.as_view(),
         name="api-customer-preferences"),
    path("customers/<str:external_id>/links", api.CustomerLinksApi.as_view(), name="api-customer-links"),
]
