/*
 * pullcheck banner: warns in the page while you write a push-marketing post, and lets you decide
 * on a post the proxy held.
 *
 * Served by the proxy at /__pullcheck__/banner.js on the site's own origin (never fetched from the
 * site). Plain JavaScript, no build step. Every piece of DOM is made with createElement and
 * textContent: no HTML string is ever parsed, so a draft that contains markup shows as text and
 * the banner runs under Trusted Types. It lives in a Shadow DOM root whose only style is the
 * same-origin stylesheet /__pullcheck__/banner.css (no inline <style>: a site's CSP may forbid it
 * and its violation reports would leak it).
 */
(function pullcheckBanner() {
  "use strict";
  if (window.__pullcheckBanner) return;
  window.__pullcheckBanner = true;

  var script = document.currentScript;
  if (!script) return;
  var scriptUrl = new URL(script.src, location.href);
  // The page token rides in a data- attribute, never in the script URL (a site's CSP reports
  // carry script URLs to the site).
  var TOKEN = script.getAttribute("data-pullcheck-token") || "";
  var VERSION = scriptUrl.searchParams.get("v") || "1";
  var BASE = "/__pullcheck__/";
  var DEBOUNCE_MS = 300;

  // Per-site compose boxes and send buttons. Selectors come from each site's current web app;
  // the generic fallback is whatever textarea or contenteditable the user is typing in.
  var SITES = [
    {
      name: "x",
      host: /(^|\.)(x|twitter)\.com$/,
      compose: ['[data-testid="tweetTextarea_0"]', '[data-testid="dmComposerTextInput"]'],
      send: ['[data-testid="tweetButton"]', '[data-testid="tweetButtonInline"]',
             '[data-testid="dmComposerSendButton"]'],
    },
    {
      name: "mastodon",
      host: null,
      compose: [".compose-form textarea"],
      send: [".compose-form button[type=submit]", ".compose-form__publish button"],
    },
    {
      name: "bluesky",
      host: /(^|\.)bsky\.app$/,
      compose: ['[data-testid="composerTextInput"]', ".ProseMirror"],
      send: ['[data-testid="composerPublishBtn"]'],
    },
    {
      name: "linkedin",
      host: /(^|\.)linkedin\.com$/,
      compose: [".ql-editor", ".msg-form__contenteditable", ".comments-comment-box__form .ql-editor"],
      send: [".share-actions__primary-action", ".msg-form__send-button",
             ".comments-comment-box__submit-button"],
    },
    {
      name: "reddit",
      host: /(^|\.)reddit\.com$/,
      compose: ["shreddit-composer", "textarea[name=text]", "textarea[name=body]"],
      send: ['button[type=submit][slot="submit-button"]', ".save-button button"],
    },
  ];
  var ALL_COMPOSE = SITES.map(function (s) { return s.compose.join(","); }).join(",");
  var ALL_SEND = SITES.map(function (s) { return s.send.join(","); }).join(",") +
    ",[data-pullcheck-send],form button[type=submit]";

  function siteByHost() {
    for (var i = 0; i < SITES.length; i++) {
      if (SITES[i].host && SITES[i].host.test(location.hostname)) return SITES[i].name;
    }
    return null;
  }

  // --- tiny DOM builder (createElement + textContent only) -----------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // --- talking to the proxy ------------------------------------------------------------------
  function post(endpoint, payload) {
    return fetch(BASE + endpoint, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "content-type": "application/json", "x-pullcheck-token": TOKEN },
      body: JSON.stringify(payload || {}),
    }).then(function (response) {
      if (response.status === 403) throw new Error("forbidden");
      return response.json().then(function (body) {
        body.__status = response.status;
        return body;
      });
    });
  }

  // --- finding the compose box and its context -----------------------------------------------
  function isEditable(node) {
    if (!node || node.nodeType !== 1) return false;
    if (node.tagName === "TEXTAREA") return true;
    if (node.tagName === "INPUT") return false;
    return node.isContentEditable === true;
  }

  function composeBoxFor(target) {
    if (!target || target.nodeType !== 1) return null;
    var known = target.closest(ALL_COMPOSE);
    if (known) return known;
    return isEditable(target) ? target : null;
  }

  function textOf(box) {
    if (box.tagName === "TEXTAREA" || box.tagName === "INPUT") return box.value;
    if (box.tagName === "SHREDDIT-COMPOSER") {
      var inner = (box.shadowRoot || box).querySelector("textarea,[contenteditable=true]");
      if (inner) return inner.value !== undefined && inner.tagName === "TEXTAREA"
        ? inner.value : inner.innerText;
    }
    return box.innerText || box.textContent || "";
  }

  function attr(box, name) {
    var holder = box.closest("[" + name + "]");
    return holder ? holder.getAttribute(name) : null;
  }

  function contextOf(box, text) {
    var ctx = { text: text, kind: "post" };
    var platform = attr(box, "data-pullcheck-platform") || siteByHost();
    if (platform) ctx.platform = platform;
    var replyTo = attr(box, "data-reply-to");
    if (!replyTo && platform === "x") {
      // On X a reply box sits on the post's own page: /<user>/status/<id>.
      var m = location.pathname.match(/\/status\/(\d+)/);
      if (m) replyTo = m[1];
    }
    if (!replyTo && platform === "mastodon") {
      var link = document.querySelector(".reply-indicator a[href]");
      var id = link && link.getAttribute("href").match(/\/(\d{6,})$/);
      if (id) replyTo = id[1];
    }
    if (replyTo) {
      ctx.reply_to_id = replyTo;
      ctx.kind = "reply";
    }
    var kind = attr(box, "data-kind");
    var form = box.closest("form");
    var visibility = form && form.querySelector("select[name=visibility]");
    if (visibility && visibility.value === "direct") kind = "dm";
    if (platform === "x" && /^\/(messages|i\/chat)/.test(location.pathname)) kind = "dm";
    if (kind) ctx.kind = kind;
    var recipient = attr(box, "data-recipient");
    if (recipient) ctx.recipients = [recipient];
    if (ctx.kind === "dm" && !recipient) {
      // Mastodon: a direct message goes to the accounts mentioned at its start.
      var lead = text.match(/^(\s*@[\w.-]+(@[\w.-]+)?)+/);
      if (lead) ctx.recipients = lead[0].trim().split(/\s+/).map(function (h) { return h.slice(1); });
    }
    var convo = attr(box, "data-conversation-id");
    if (convo) ctx.conversation_id = convo;
    return ctx;
  }

  // --- the banner ----------------------------------------------------------------------------
  var host = el("div");
  host.setAttribute("data-pullcheck-banner", "");
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link");
  sheet.rel = "stylesheet";
  sheet.href = BASE + "banner.css?v=" + encodeURIComponent(VERSION);
  root.appendChild(sheet);

  var panel = el("section", "panel pos-tr");
  panel.hidden = true; // until the stylesheet is in, so nothing unstyled flashes
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", "pullcheck");
  var bar = el("div", "bar");
  var title = el("span", "title", "pullcheck");
  var meter = el("div", "meter");
  meter.setAttribute("role", "meter");
  meter.setAttribute("aria-label", "push-to-pull meter");
  meter.setAttribute("aria-valuemin", "0");
  meter.setAttribute("aria-valuemax", "100");
  var meterFill = el("div", "fill");
  meter.appendChild(meterFill);
  var meterEnds = el("div", "meter-ends");
  meterEnds.appendChild(el("span", "", "pull"));
  meterEnds.appendChild(el("span", "", "push"));
  var summary = el("span", "summary", "");
  var toggle = el("button", "toggle", "Hide");
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "true");
  bar.appendChild(title);
  bar.appendChild(summary);
  bar.appendChild(toggle);
  var body = el("div", "body");
  var meterBox = el("div", "meter-box");
  meterBox.appendChild(meter);
  meterBox.appendChild(meterEnds);
  var live = el("div", "live");
  live.setAttribute("aria-live", "polite");
  var list = el("ul", "findings");
  body.appendChild(meterBox);
  body.appendChild(list);
  panel.appendChild(bar);
  panel.appendChild(body);
  root.appendChild(panel);
  // Outside the panel: a live region inside a hidden panel would never be read out.
  root.appendChild(live);

  var dialog = el("div", "dialog-backdrop");
  dialog.hidden = true;
  root.appendChild(dialog);

  var state = {
    collapsed: false,
    lastResult: null,
    lastBox: null,
    lastContext: null,
    shownHold: null,
    decided: {},
    returnFocus: null,
  };

  sheet.addEventListener("load", function () {
    host.setAttribute("data-ready", "");
    applyTheme();
  });

  function setCollapsed(collapsed) {
    state.collapsed = collapsed;
    body.hidden = collapsed;
    toggle.textContent = collapsed ? "Show" : "Hide";
    toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
  }
  toggle.addEventListener("click", function () {
    setCollapsed(!state.collapsed);
    placeAwayFromSend();
  });

  function mount() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // Light or dark: follow the page's own background when it has one, else the system setting.
  function luminance(color) {
    var m = color && color.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/);
    if (!m || (m[4] !== undefined && parseFloat(m[4]) === 0)) return null;
    return (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) / 255;
  }
  function applyTheme() {
    var lum = null;
    var nodes = [document.body, document.documentElement];
    for (var i = 0; i < nodes.length && lum === null; i++) {
      if (nodes[i]) lum = luminance(getComputedStyle(nodes[i]).backgroundColor);
    }
    panel.classList.toggle("dark", lum !== null && lum < 0.4);
    panel.classList.toggle("light", lum !== null && lum >= 0.4);
    dialog.classList.toggle("dark", lum !== null && lum < 0.4);
    dialog.classList.toggle("light", lum !== null && lum >= 0.4);
  }

  // Never cover the site's send button (nor the box being typed in): take the first corner
  // that overlaps neither; if none is free, collapse to the small bar and try again.
  var CORNERS = ["pos-tr", "pos-br", "pos-tl", "pos-bl"];
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function setCorner(corner) {
    CORNERS.forEach(function (c) { panel.classList.remove(c); });
    panel.classList.add(corner);
  }
  function freeCorner(avoid, mustAvoid) {
    for (var i = 0; i < CORNERS.length; i++) {
      setCorner(CORNERS[i]);
      var mine = panel.getBoundingClientRect();
      if (!avoid.some(function (r) { return overlaps(mine, r); })) return true;
    }
    for (var j = 0; j < CORNERS.length; j++) {
      setCorner(CORNERS[j]);
      var rect = panel.getBoundingClientRect();
      if (!mustAvoid.some(function (r) { return overlaps(rect, r); })) return false;
    }
    return false;
  }
  var placing = false;
  function placeAwayFromSend() {
    if (panel.hidden || placing) return;
    placing = true;
    var visible = function (r) { return r.width > 0 && r.height > 0; };
    var buttons = Array.prototype.slice.call(document.querySelectorAll(ALL_SEND))
      .map(function (b) { return b.getBoundingClientRect(); }).filter(visible);
    var avoid = buttons.slice();
    if (state.lastBox && state.lastBox.isConnected) {
      var box = state.lastBox.getBoundingClientRect();
      if (visible(box)) avoid.push(box);
    }
    if (!freeCorner(avoid, buttons) && !state.collapsed) {
      setCollapsed(true);
      freeCorner(avoid, buttons);
    }
    placing = false;
  }
  window.addEventListener("resize", placeAwayFromSend);

  function severityLabel(sev) {
    return { error: "Error", warning: "Warning", info: "Note" }[sev] || sev;
  }

  // `held`: a held post's own target (in the hold dialog), instead of this page's draft.
  function notPushTarget(finding, held) {
    var result = held ? { reply_to: held.reply_to } : (state.lastResult || {});
    var ctx = held ? held : (state.lastContext || {});
    if (result.reply_to && result.reply_to.author) return { recipient: result.reply_to.author };
    if (ctx.recipients && ctx.recipients.length) return { recipient: ctx.recipients[0] };
    var link = (ctx.text || "").match(/\b((?:[a-z0-9-]+\.)+[a-z]{2,})(?=[\/\s:]|$)/i);
    if (link) return { domain: link[1].toLowerCase().replace(/^www\./, "") };
    return null;
  }

  function renderFinding(finding, held) {
    var item = el("li", "finding sev-" + finding.severity);
    var head = el("div", "finding-head");
    head.appendChild(el("span", "sev", severityLabel(finding.severity)));
    head.appendChild(el("span", "code", finding.code));
    head.appendChild(el("span", "name", finding.name));
    item.appendChild(head);
    item.appendChild(el("p", "message", finding.message));
    if (finding.trigger) {
      var trig = el("p", "trigger", "Triggered by ");
      trig.appendChild(el("mark", "", "\u201c" + finding.trigger + "\u201d"));
      item.appendChild(trig);
    }
    if (finding.instead) {
      var instead = el("p", "instead");
      instead.appendChild(el("strong", "", "Instead: "));
      instead.appendChild(document.createTextNode(finding.instead));
      item.appendChild(instead);
    }
    var actions = el("div", "actions");
    if (finding.why) {
      var why = el("details", "why");
      why.appendChild(el("summary", "", "Why?"));
      why.appendChild(el("p", "", finding.why));
      item.appendChild(why);
    }
    var target = notPushTarget(finding, held);
    if (target) {
      var button = el("button", "notpush", "Not push");
      button.type = "button";
      button.title = "Allow this for " + (target.recipient ? "@" + target.recipient : target.domain);
      button.addEventListener("click", function () {
        button.disabled = true;
        var payload = { code: finding.code };
        if (target.recipient) payload.recipient = target.recipient;
        if (target.domain) payload.domain = target.domain;
        post("notpush", payload).then(function (r) {
          button.textContent = r.ok ? "Marked not push" : "Could not save";
          announce(r.ok ? "Marked " + finding.code + " as not push." : "Could not save that choice.");
          if (r.ok) scheduleCheck(); // the proxy has reloaded its allowlist by now
        }, function () { button.textContent = "Could not save"; });
      });
      actions.appendChild(button);
    }
    item.appendChild(actions);
    return item;
  }

  // Warnings and errors in full; info-level notes folded under one disclosure, so the banner
  // stays small and the hold dialog's buttons stay in view.
  function fillFindings(listNode, findings, held) {
    var serious = findings.filter(function (f) { return f.severity !== "info"; });
    var notes = findings.filter(function (f) { return f.severity === "info"; });
    if (!serious.length) { serious = notes; notes = []; }
    serious.forEach(function (f) { listNode.appendChild(renderFinding(f, held)); });
    if (notes.length) {
      var item = el("li", "more");
      var fold = el("details", "more-notes");
      fold.appendChild(el("summary", "", notes.length === 1 ? "1 more note" :
                                         notes.length + " more notes"));
      var inner = el("ul", "findings");
      notes.forEach(function (f) { inner.appendChild(renderFinding(f, held)); });
      fold.appendChild(inner);
      item.appendChild(fold);
      listNode.appendChild(item);
    }
  }

  function announce(message) {
    live.textContent = message;
  }

  function render(result, heading) {
    var verdict = result.verdict || { findings: [], score: 0, level: "none" };
    state.lastResult = result;
    clear(list);
    var findings = verdict.findings || [];
    var score = Math.max(0, Math.min(100, verdict.score || 0));
    meterFill.style.width = score + "%";
    meter.setAttribute("aria-valuenow", String(score));
    meter.setAttribute("aria-valuetext", score + " of 100 toward push");
    panel.classList.remove("level-none", "level-info", "level-warning", "level-error");
    panel.classList.add("level-" + (verdict.level || "none"));
    // Level "none": nothing to nudge about (at most a pull signal): the banner stays out of the way.
    if (!findings.length || (verdict.level || "none") === "none") {
      summary.textContent = heading ? heading + ": looks like pull" : "Looks like pull";
      panel.hidden = true;
      host.setAttribute("data-level", "none");
      announce("");
      return;
    }
    var top = findings[0];
    summary.textContent = (heading ? heading + ": " : "") + findings.length +
      (findings.length === 1 ? " finding" : " findings");
    fillFindings(list, findings);
    host.setAttribute("data-level", verdict.level || "none");
    panel.hidden = false;
    applyTheme();
    placeAwayFromSend();
    announce("pullcheck " + severityLabel(top.severity) + ": " + top.message);
  }

  // --- live checks while typing ----------------------------------------------------------------
  var timer = null;
  var inflight = 0;
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(runCheck, DEBOUNCE_MS);
  }
  function runCheck() {
    var box = state.lastBox;
    if (!box || !box.isConnected) return;
    var text = textOf(box);
    if (!text.trim()) {
      render({ verdict: { findings: [], score: 0, level: "none" } });
      return;
    }
    var ctx = contextOf(box, text);
    state.lastContext = ctx;
    var mine = ++inflight;
    post("check", ctx).then(function (result) {
      if (mine !== inflight || result.__status !== 200) return; // a newer check is on its way
      render(result);
    }, function () { /* the proxy is gone or the token expired: stay quiet */ });
  }

  function onInput(event) {
    var path = event.composedPath ? event.composedPath() : [event.target];
    var box = null;
    for (var i = 0; i < path.length && !box; i++) {
      if (path[i] === host) return; // our own buttons
      box = composeBoxFor(path[i]);
    }
    if (!box) return;
    state.lastBox = box;
    scheduleCheck();
  }
  document.addEventListener("input", onInput, true);

  // --- held posts: the dialog -----------------------------------------------------------------
  function focusables() {
    return Array.prototype.slice.call(dialog.querySelectorAll("button,summary,[tabindex]"));
  }

  function closeDialog() {
    dialog.hidden = true;
    clear(dialog);
    state.shownHold = null;
    var back = state.returnFocus;
    state.returnFocus = null;
    if (back && back.isConnected) back.focus();
  }

  function decide(holdId, decision, buttons) {
    if (state.decided[holdId]) return;
    state.decided[holdId] = decision;
    buttons.forEach(function (b) { b.disabled = true; });
    // Edit: back to the draft, which the site keeps in its box.
    if (decision === "edit" && state.lastBox && state.lastBox.isConnected) {
      state.returnFocus = state.lastBox;
    }
    post("decide", { hold_id: holdId, decision: decision }).then(function (r) {
      if (r.ok) {
        announce(decision === "send" ? "Sending the held post." : "The post was not sent; edit it.");
        closeDialog();
        return;
      }
      // Too late: the hold ended (its client left, it timed out). Say so; nothing was sent.
      holdEnded(holdId, r.status, r.error);
    }, function () { closeDialog(); });
  }

  var ENDED = {
    gone: "The client disconnected; nothing was sent.",
    timeout: "No decision in time; nothing was sent.",
    shutdown: "The proxy stopped; nothing was sent.",
  };

  // The shown hold ended without this page's decision: keep the dialog open with the reason
  // and one Close button, so the user learns the post did not go out.
  function holdEnded(holdId, status, error) {
    if (state.shownHold !== holdId) return;
    var box = dialog.querySelector(".dialog");
    var row = box && box.querySelector(".dialog-actions");
    if (!row) { closeDialog(); return; }
    var message = ENDED[status] || (error ? error.charAt(0).toUpperCase() + error.slice(1) + "."
                                          : "That hold has ended; nothing was sent.");
    clear(row);
    var note = el("p", "ended", message);
    note.setAttribute("role", "status");
    row.appendChild(note);
    var close = el("button", "close", "Close");
    close.type = "button";
    close.addEventListener("click", closeDialog);
    row.appendChild(close);
    state.decided[holdId] = status || "ended";
    close.focus({ preventScroll: true });
    announce(message);
  }

  function targetLine(hold) {
    var reply = hold.reply_to;
    var who = function (h) { return "@" + String(h).replace(/^@/, ""); };
    if (hold.kind === "dm" && hold.recipients && hold.recipients.length) {
      return "Direct message to " + hold.recipients.map(who).join(", ");
    }
    if (reply && (reply.author || reply.id)) {
      return "Reply to " + (reply.author ? who(reply.author) : "post " + reply.id);
    }
    if (hold.recipients && hold.recipients.length) {
      return "To " + hold.recipients.map(who).join(", ");
    }
    return { reply: "Reply", dm: "Direct message", comment: "Comment" }[hold.kind] || "Post";
  }

  function showHold(hold) {
    if (state.shownHold === hold.hold_id || state.decided[hold.hold_id]) return;
    state.shownHold = hold.hold_id;
    state.returnFocus = document.activeElement;
    clear(dialog);
    var box = el("div", "dialog");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "pullcheck-hold-title");
    box.setAttribute("aria-describedby", "pullcheck-hold-desc");
    box.setAttribute("data-hold-id", hold.hold_id);
    var foreign = hold.own === false;
    var heading = el("h2", "", foreign ? "pullcheck held a post to this site"
                                       : "pullcheck held this post");
    heading.id = "pullcheck-hold-title";
    box.appendChild(heading);
    var verdict = hold.verdict || {};
    var desc = el("p", "desc", "It reads like push marketing. Nothing has been sent yet.");
    desc.id = "pullcheck-hold-desc";
    if (foreign) {
      // Not this page's draft: a sandboxed frame, another site or a script sent it here. Say
      // where from, before anything else.
      var from = hold.from_origin && hold.from_origin !== "null" ? hold.from_origin
                                                                 : "an unknown origin";
      var warn = el("p", "foreign", "This request did not come from this page: from " + from + ".");
      warn.id = "pullcheck-hold-desc";
      desc.id = "";
      box.appendChild(warn);
    }
    box.appendChild(desc);
    // Exactly what would be sent: the text the proxy read off the held request itself, never
    // the draft this page last checked (another tab or another origin may have sent it).
    box.appendChild(el("p", "held-target", targetLine(hold)));
    var parent = hold.reply_to && hold.reply_to.text;
    if (parent) box.appendChild(el("blockquote", "held-parent", parent));
    box.appendChild(el("blockquote", "held-text", hold.text || ""));
    var findings = el("ul", "findings");
    fillFindings(findings, verdict.findings || [], hold);
    box.appendChild(findings);
    var row = el("div", "dialog-actions");
    var edit = el("button", "edit", "Edit");
    edit.type = "button";
    var send = el("button", "send", "Send anyway");
    send.type = "button";
    var buttons = [edit, send];
    edit.addEventListener("click", function () { decide(hold.hold_id, "edit", buttons); });
    send.addEventListener("click", function () { decide(hold.hold_id, "send", buttons); });
    row.appendChild(edit);
    row.appendChild(send);
    box.appendChild(row);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        if (state.decided[hold.hold_id]) closeDialog();
        else decide(hold.hold_id, "edit", buttons);
      } else if (event.key === "Tab") {
        // Keep focus inside the dialog while it is open.
        var items = focusables();
        var index = items.indexOf(root.activeElement);
        var next = event.shiftKey ? index - 1 : index + 1;
        if (next < 0) next = items.length - 1;
        if (next >= items.length) next = 0;
        event.preventDefault();
        items[next].focus();
      }
    });
    dialog.appendChild(box);
    dialog.hidden = false;
    applyTheme();
    edit.focus({ preventScroll: true });
    box.scrollTop = 0;
    announce(foreign ? "pullcheck held a post that did not come from this page. Choose Edit " +
                       "or Send anyway."
                     : "pullcheck held your post. Choose Send anyway or Edit.");
  }

  // --- the event long poll --------------------------------------------------------------------
  var since = -1;
  function handleEvents(result) {
    (result.events || []).forEach(function (event) {
      if (event.type === "hold_resolved" && state.shownHold === event.hold_id) {
        if (ENDED[event.decision] && !state.decided[event.hold_id]) {
          holdEnded(event.hold_id, event.decision);
        } else if (!ENDED[event.decision]) {
          closeDialog();
        }
      }
      // A post that went out (warn mode): show what was said about it. A held one gets the
      // dialog instead (its hold arrives in `pending`).
      if (event.type === "verdict" && !event.held && (event.findings || []).length) {
        render({ verdict: { findings: event.findings, score: event.score, level: event.level } },
               "Sent");
      }
    });
    var pending = result.pending || [];
    var shownEnded = state.shownHold && ENDED[state.decided[state.shownHold]];
    if (state.shownHold && !shownEnded &&
        !pending.some(function (h) { return h.hold_id === state.shownHold; })) {
      closeDialog();
    }
    if (!state.shownHold && pending.length) showHold(pending[0]);
  }
  function poll() {
    var first = since < 0;
    post("events", { since: first ? 0 : since, wait: first ? 0 : 25 }).then(function (result) {
      if (result.__status !== 200) throw new Error("status " + result.__status);
      markOpportunities(result.events || []);
      if (!first) handleEvents(result);
      else handleEvents({ events: [], pending: result.pending });
      since = result.last || 0;
      setTimeout(poll, 0);
    }, function (error) {
      if (error && error.message === "forbidden") return; // token expired: stop polling
      setTimeout(poll, 2000);
    });
  }
  // --- pull opportunities (issue 5) ---------------------------------------------------------
  // The proxy publishes an "opportunity" event for each post it saw that asks for help with what
  // the user offers (config `offer:`). Such a post gets a small badge, dismissible with ×. Built
  // with createElement/textContent only, and styled through the CSSOM (style properties), which
  // a page's CSP allows, unlike style attributes. Dismissal lasts for this page.
  var opportunities = {};
  var dismissedOpportunities = {};
  var badgesScheduled = false;
  function opportunityTargets(id) {
    var quoted = CSS.escape(String(id));
    var found = Array.prototype.slice.call(document.querySelectorAll(
      '[data-post-id="' + quoted + '"], [data-id="' + quoted + '"]'));
    // X renders a post as an <article> holding a link to its status page.
    document.querySelectorAll('article a[href$="/status/' + quoted + '"]').forEach(function (a) {
      var article = a.closest("article");
      if (article && found.indexOf(article) < 0) found.push(article);
    });
    return found;
  }
  function opportunityBadge(id, phrase) {
    var badge = el("span", "", "");
    badge.setAttribute("data-pullcheck-opportunity", String(id));
    badge.setAttribute("role", "note");
    badge.title = "pullcheck: this post asks for what you offer (" + phrase + "). Answer it.";
    var s = badge.style;
    s.display = "inline-flex"; s.alignItems = "center"; s.gap = "6px"; s.margin = "4px 0";
    s.padding = "2px 4px 2px 8px"; s.borderRadius = "999px"; s.background = "#0f766e";
    s.color = "#ffffff"; s.font = "600 12px/1.6 system-ui, sans-serif";
    badge.appendChild(el("span", "", "asking for what you offer"));
    var close = el("button", "", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss this opportunity badge");
    var c = close.style;
    c.border = "0"; c.background = "transparent"; c.color = "inherit"; c.cursor = "pointer";
    c.font = "inherit"; c.padding = "0 4px";
    close.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      dismissedOpportunities[id] = true;
      document.querySelectorAll('[data-pullcheck-opportunity="' + CSS.escape(String(id)) + '"]')
        .forEach(function (node) { node.remove(); });
    });
    badge.appendChild(close);
    return badge;
  }
  function applyOpportunityBadges() {
    badgesScheduled = false;
    Object.keys(opportunities).forEach(function (id) {
      if (dismissedOpportunities[id]) return;
      opportunityTargets(id).forEach(function (target) {
        if (target.querySelector("[data-pullcheck-opportunity]")) return;
        target.appendChild(opportunityBadge(id, opportunities[id]));
      });
    });
  }
  function scheduleOpportunityBadges() {
    if (badgesScheduled || !Object.keys(opportunities).length) return;
    badgesScheduled = true;
    setTimeout(applyOpportunityBadges, 50);
  }
  function markOpportunities(events) {
    events.forEach(function (event) {
      if (event.type === "opportunity" && event.post_id) {
        opportunities[event.post_id] = event.phrase || "";
      }
    });
    scheduleOpportunityBadges();
  }
  // Timelines render after their data arrives (and keep growing): badge posts as they appear.
  new MutationObserver(scheduleOpportunityBadges).observe(document.documentElement,
    { childList: true, subtree: true });

  poll();
})();
