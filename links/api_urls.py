"""Routes of links under /api/v1/ (the public pages are in links/urls.py)."""

from django.urls import path

from links import api

urlpatterns = [
    path("links/", api.LinkCreateApi.as_view(), name="api-links"),
    path("links/<str:slug>/stats", api.LinkStatsApi.as_view(), name="api-link-stats"),
]
