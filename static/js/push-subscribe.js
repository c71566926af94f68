/* Subscribe this browser to web push and hand the subscription to the hub.
 *
 * Markup: any element with data-push-subscribe, e.g.
 *   <button data-push-subscribe
 *           data-vapid-public-key="{{ vapid_public_key }}"
 *           data-customer-token="{{ signed_customer_token }}"
 *           data-endpoint="/api/v1/push-subscriptions"
 *           data-sw-url="/static/sw.js" data-sw-scope="/">Turn on notifications</button>
 * A click registers the service worker, asks for permission, subscribes with the VAPID public key and POSTs
 * {endpoint, keys: {p256dh, auth}, user_agent} with "Authorization: Customer <token>". The element gets
 * data-push-state = unsupported | denied | subscribed | error, for styling and tests.
 */
(function () {
  "use strict";

  function urlBase64ToUint8Array(base64) {
    const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded);
    return Uint8Array.from(raw, (ch) => ch.charCodeAt(0));
  }

  async function subscribe(el) {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      el.dataset.pushState = "unsupported";
      return;
    }
    // Scope "/" needs sw.js served from the root (or a Service-Worker-Allowed header); push works in any scope.
    const options = el.dataset.swScope ? { scope: el.dataset.swScope } : undefined;
    const registration = await navigator.serviceWorker.register(el.dataset.swUrl || "/static/sw.js", options);
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      el.dataset.pushState = "denied";
      return;
    }
    await navigator.serviceWorker.ready;
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: urlBase64ToUint8Array(el.dataset.vapidPublicKey),
      });
    }
    const body = Object.assign(subscription.toJSON(), { user_agent: navigator.userAgent });
    const response = await fetch(el.dataset.endpoint || "/api/v1/push-subscriptions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Customer " + el.dataset.customerToken },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    el.dataset.pushState = response.ok ? "subscribed" : "error";
  }

  function bind(el) {
    el.addEventListener("click", (event) => {
      event.preventDefault();
      subscribe(el).catch((err) => {
        el.dataset.pushState = "error";
        console.error("push subscribe failed", err);
      });
    });
  }

  document.querySelectorAll("[data-push-subscribe]").forEach(bind);
})();
