from django.urls import path

from messaging import api

urlpatterns = [
    path("messages/", api.MessagesApi.as_view(), name="api-messages"),
    path("deliveries/<int:pk>", api.DeliveryDetailApi.as_view(), name="api-delivery"),
    path("push-subscriptions", api.PushSubscriptionsApi.as_view(), name="api-push-subscriptions"),
    path("push-subscriptions/open", api.PushOpenApi.as_view(), name="api-push-open"),
    path("inbox", api.InboxApi.as_view(), name="api-inbox"),
    path("inbox/unread-count", api.InboxUnreadApi.as_view(), name="api-inbox-unread"),
    path("inbox/<int:pk>/read", api.InboxReadApi.as_view(), name="api-inbox-read"),
    path("inbox/<int:pk>/archive", api.InboxArchiveApi.as_view(), name="api-inbox-archive"),
]
