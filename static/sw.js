/* Service worker of the engagement hub: shows web push notifications and reports clicks as opens.
 *
 * The push payload is the JSON made by messaging.channels.base.PushMessage.payload():
 *   {title, body, icon, image, actions: [{action, title}], data: {url, open_url, ...}}
 * data.url is opened on click (an action may carry its own url in data.actions_urls[action]);
 * data.open_url, when present, receives a POST so the delivery is marked opened.
 */
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (err) {
    message = { title: event.data ? event.data.text() : "" };
  }
  const data = message.data || {};
  const options = {
    body: message.body || "",
    icon: message.icon || undefined,
    image: message.image || undefined,
    actions: Array.isArray(message.actions) ? message.actions.slice(0, 2) : [],
    data: data,
    // A replaceable message (an offer) carries a tag, so a newer one replaces it on screen too.
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
  };
  event.waitUntil(self.registration.showNotification(message.title || "", options));
});

function reportOpen(data, action) {
  if (!data.open_url) return Promise.resolve();
  return fetch(data.open_url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: action || "" }),
    credentials: "omit",
    keepalive: true,
  }).catch(() => undefined); // a lost report must not keep the page from opening
}

async function openOrFocus(url) {
  if (!url) return;
  const target = new URL(url, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === target && "focus" in client) return client.focus();
  }
  if (self.clients.openWindow) return self.clients.openWindow(target);
}

self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data || {};
  const urls = data.actions_urls || {};
  event.notification.close();
  event.waitUntil(Promise.all([reportOpen(data, event.action), openOrFocus(urls[event.action] || data.url)]));
});
