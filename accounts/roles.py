"""The staff roles and what each may do in admin.

Marketers edit campaigns, templates, links and topics and look at customers; only admins manage API keys and
users. `roles_sync` is idempotent: the data migration runs it, and so does every `migrate` afterwards so that
models added by later migrations get their permissions assigned too.
"""

from typing import Any

MARKETER = "Marketer"
ADMIN = "Admin"

# app labels whose models marketers fully manage
MARKETER_APPS = {"campaigns", "messaging", "links", "preferences"}
# (app_label, model) pairs marketers may only look at
MARKETER_VIEW_ONLY = {("accounts", "customer"), ("accounts", "event")}
# (app_label, model) pairs hidden from marketers even inside their apps
MARKETER_DENIED: set[tuple[str, str]] = set()


def roles_sync(apps: Any = None) -> None:
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    admin, _ = Group.objects.get_or_create(name=ADMIN)
    marketer, _ = Group.objects.get_or_create(name=MARKETER)
    perms = list(Permission.objects.select_related("content_type"))
    admin.permissions.set(perms)
    marketer_perms = []
    for perm in perms:
        key = (perm.content_type.app_label, perm.content_type.model)
        if key in MARKETER_DENIED:
            continue
        if key[0] in MARKETER_APPS or (key in MARKETER_VIEW_ONLY and perm.codename.startswith("view_")):
            marketer_perms.append(perm)
    marketer.permissions.set(marketer_perms)
