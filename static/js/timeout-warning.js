// The timeout warning (templates/includes/timeout_warning.html): opens a few minutes before the session
// ends, counts down, and either keeps the session ("Stay signed in", or Escape) or signs the person out when
// the time is up. One check a second against the clock, so a throttled background tab still acts on time.

const SECOND = 1000;

function spoken(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const parts = [];
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (rest || !minutes) parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  return parts.join(" ");
}

class TimeoutWarning {
  constructor(dialog) {
    this.dialog = dialog;
    this.sessionSeconds = Number(dialog.dataset.sessionSeconds);
    this.warnSeconds = Number(dialog.dataset.warnSeconds);
    this.signInUrl = dialog.dataset.signInUrl;
    this.countdown = dialog.querySelector(".app-timeout-warning__countdown");
    this.announcer = dialog.querySelector(".app-timeout-warning__announce");
    this.heading = dialog.querySelector(".app-timeout-warning__heading");
    this.keepForm = dialog.querySelector(".app-timeout-warning__keep");
    this.signOutForm = dialog.querySelector(".app-timeout-warning__sign-out");
    this.lastAnnounced = null;
    this.returnFocusTo = null;
    this.keepForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.keep();
    });
    this.dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.keep();
    });
    this.dialog.addEventListener("keydown", (event) => this.keepFocusInside(event));
  }

  // Tab and Shift+Tab go round the dialog's buttons rather than out of it to the browser's own controls.
  keepFocusInside(event) {
    if (event.key !== "Tab") return;
    const stops = [this.heading, ...this.dialog.querySelectorAll("button")];
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  start() {
    this.restart();
    window.setInterval(() => this.tick(), SECOND);
  }

  restart() {
    this.endsAt = Date.now() + this.sessionSeconds * SECOND;
  }

  secondsLeft() {
    return Math.max(0, Math.ceil((this.endsAt - Date.now()) / SECOND));
  }

  tick() {
    const left = this.secondsLeft();
    if (left <= 0) {
      this.signOut();
    } else if (left <= this.warnSeconds) {
      if (!this.dialog.open) this.open();
      this.show(left);
    }
  }

  open() {
    this.returnFocusTo = document.activeElement;
    this.lastAnnounced = null;
    this.dialog.showModal();
    this.heading.focus();
  }

  show(left) {
    this.countdown.textContent = spoken(left);
    // Screen readers hear the time left once a minute, and every 15 seconds in the last minute.
    const step = left > 60 ? 60 : 15;
    const mark = Math.ceil(left / step) * step;
    if (mark !== this.lastAnnounced) {
      this.lastAnnounced = mark;
      this.announcer.textContent = `You will be signed out in ${spoken(left)}.`;
    }
  }

  close() {
    this.dialog.close();
    this.announcer.textContent = "";
    const target = this.returnFocusTo;
    if (target && typeof target.focus === "function" && document.contains(target)) target.focus();
  }

  async keep() {
    let signedIn = false;
    try {
      const response = await fetch(this.keepForm.action, {
        method: "POST",
        body: new FormData(this.keepForm),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      signedIn = response.ok && type.includes("application/json") && (await response.json()).signed_in === true;
    } catch {
      signedIn = false;
    }
    if (signedIn) {
      this.restart();
      this.close();
    } else {
      this.signOut();
    }
  }

  signOut() {
    if (this.signingOut) return;
    this.signingOut = true;
    const here = window.location.pathname + window.location.search;
    const next = `${this.signInUrl}?timeout=1&next=${encodeURIComponent(here)}`;
    this.signOutForm.querySelector('input[name="next"]').value = next;
    this.signOutForm.submit();
  }
}

const dialog = document.querySelector('[data-module="app-timeout-warning"]');
if (dialog && typeof dialog.showModal === "function") {
  new TimeoutWarning(dialog).start();
}
