from django.urls import path

from accounts import api

urlpatterns = [
    path("customers/bulk", api.CustomerBulkApi.as_view(), name="api-customers-bulk"),
    path("customers/<str:external_id>", api.CustomerDetailApi.as_view(), name="api-customer"),
    path("events/", api.EventsApi.as_view(), name="api-events"),
]
