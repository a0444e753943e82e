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
      if (response.status === 403) {
        lostTouch();
        throw new Error("forbidden");
      }
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
  // A config edit the proxy rejected: one line (file:line key message), never any draft text.
  var notice = el("p", "notice");
  notice.hidden = true;
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
  panel.appendChild(notice);
  panel.appendChild(body);
  // A fade over the bottom edge while more of the panel lies below (it scrolls).
  var moreBelow = el("div", "more-below");
  moreBelow.setAttribute("aria-hidden", "true");
  panel.appendChild(moreBelow);
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
    userExpanded: false,
    hasFindings: false,
    configError: null,
    lostTouch: false,
    heldVerdicts: {},
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
    state.userExpanded = !state.collapsed; // the user asked to see it: do not fold it again
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

  // Where the panel goes. Never over the site's send button nor the box being typed in; beside
  // the page's content when the window leaves room for it (wide screens); else the first corner
  // that covers no content, else the first corner where all of it fits, else the corner with
  // the most height, scrolling inside. Its height never passes the viewport, so every line can
  // be scrolled to. When even that leaves too little room, it folds to its bar.
  var MARGIN = 12;
  var PANEL_WIDTH = 320;
  var SIDE_MIN = 260; // narrower than this, findings wrap into a column of single words
  var SIDE_MAX = 380;
  var MIN_BAND = 120; // the bar and the first lines of a finding
  var CORNERS = ["pos-tr", "pos-br", "pos-tl", "pos-bl"];
  // What counts as the page's content: posts, paragraphs, headings, controls, media. Bounded:
  // a long page's first matches are enough to know where its columns are.
  var CONTENT = "article,[role=article],li,p,h1,h2,h3,h4,form,textarea,input,select,button," +
    "img,video,[contenteditable=true]";
  var CONTENT_LIMIT = 3000;

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function visibleRect(r) { return r.width > 0 && r.height > 0; }
  function viewportSize() {
    var doc = document.documentElement;
    return {
      w: Math.min(window.innerWidth, doc.clientWidth || window.innerWidth),
      h: Math.min(window.innerHeight, doc.clientHeight || window.innerHeight),
    };
  }
  function onScreen(r, vp) {
    return visibleRect(r) && r.bottom > 0 && r.top < vp.h && r.right > 0 && r.left < vp.w;
  }
  function contentRects(vp) {
    var nodes = document.querySelectorAll(CONTENT);
    var rects = [];
    for (var i = 0; i < nodes.length && i < CONTENT_LIMIT; i++) {
      var r = nodes[i].getBoundingClientRect();
      if (onScreen(r, vp)) rects.push(r);
    }
    return rects;
  }
  function setCorner(corner) {
    CORNERS.forEach(function (c) { panel.classList.remove(c); });
    panel.classList.add(corner);
  }
  function applySpot(spot) {
    var st = panel.style; // CSSOM: allowed under a CSP that forbids style attributes
    setCorner(spot.corner);
    st.width = spot.width + "px";
    st.maxHeight = Math.max(0, Math.floor(spot.band)) + "px";
    st.left = spot.left + "px";
    st.right = "auto";
    // Anchored at its edge, so a panel that grows (Why? opened) grows into the free band.
    st.top = spot.bottom ? "auto" : MARGIN + "px";
    st.bottom = spot.bottom ? MARGIN + "px" : "auto";
  }
  function naturalHeight(width) {
    panel.style.width = width + "px";
    return panel.scrollHeight + (panel.offsetHeight - panel.clientHeight);
  }
  // The four corners at `width`: the height free of `must` above or below, and whether the
  // panel at its natural height there would cover any content.
  function corners(vp, width, must, content) {
    var spots = [];
    CORNERS.forEach(function (corner) {
      var right = corner === "pos-tr" || corner === "pos-br";
      var bottom = corner === "pos-br" || corner === "pos-bl";
      var left = right ? vp.w - MARGIN - width : MARGIN;
      // The height left between the viewport's edge and the nearest blocker in this column.
      var band = vp.h - 2 * MARGIN;
      must.forEach(function (r) {
        if (r.right <= left || r.left >= left + width) return;
        band = Math.min(band, bottom ? vp.h - 2 * MARGIN - r.bottom : r.top - 2 * MARGIN);
      });
      spots.push({ corner: corner, left: left, width: width, bottom: bottom, band: band });
    });
    var natural = naturalHeight(width);
    spots.forEach(function (spot) {
      var height = Math.min(natural, spot.band);
      var top = spot.bottom ? vp.h - MARGIN - height : MARGIN;
      var rect = { left: spot.left, right: spot.left + width, top: top, bottom: top + height };
      spot.fits = spot.band >= natural;
      spot.coversContent = content.some(function (r) { return overlaps(rect, r); });
    });
    return spots;
  }
  function beside(vp, content) {
    if (!content.length) return null;
    var lo = Infinity, hi = -Infinity;
    content.forEach(function (r) { lo = Math.min(lo, r.left); hi = Math.max(hi, r.right); });
    var rightRoom = vp.w - MARGIN - (hi + MARGIN);
    var leftRoom = lo - 2 * MARGIN;
    if (rightRoom >= SIDE_MIN) {
      var w = Math.min(rightRoom, SIDE_MAX);
      return { corner: "pos-tr", left: vp.w - MARGIN - w, width: w, bottom: false,
               band: vp.h - 2 * MARGIN };
    }
    if (leftRoom >= SIDE_MIN) {
      return { corner: "pos-tl", left: MARGIN, width: Math.min(leftRoom, SIDE_MAX),
               bottom: false, band: vp.h - 2 * MARGIN };
    }
    return null;
  }
  function bestSpot(vp, must, content) {
    var side = beside(vp, content.concat(must));
    if (side) return side;
    var spots = corners(vp, Math.min(PANEL_WIDTH, vp.w - 2 * MARGIN), must, content);
    var pick = function (test) { return spots.filter(test)[0] || null; };
    return pick(function (s) { return s.fits && !s.coversContent; }) ||
      pick(function (s) { return s.fits; }) ||
      spots.filter(function (s) { return s.band >= MIN_BAND; })
        .sort(function (a, b) { return b.band - a.band; })[0] || null;
  }
  var placing = false;
  function placeAwayFromSend() {
    if (panel.hidden || placing) return;
    placing = true;
    try {
      var vp = viewportSize();
      var buttons = Array.prototype.slice.call(document.querySelectorAll(ALL_SEND))
        .map(function (b) { return b.getBoundingClientRect(); })
        .filter(function (r) { return onScreen(r, vp); });
      var must = buttons.slice();
      if (state.lastBox && state.lastBox.isConnected) {
        var box = state.lastBox.getBoundingClientRect();
        if (onScreen(box, vp)) must.push(box);
      }
      var content = contentRects(vp);
      var spot = bestSpot(vp, must, content);
      if (!spot && !state.collapsed && !state.userExpanded) {
        setCollapsed(true); // the bar alone fits where the findings did not
        spot = bestSpot(vp, must, content);
      }
      if (!spot && state.userExpanded) spot = bestSpot(vp, buttons, []); // over the box, then
      applySpot(spot || { corner: "pos-tr", left: vp.w - MARGIN - Math.min(PANEL_WIDTH,
        vp.w - 2 * MARGIN), width: Math.min(PANEL_WIDTH, vp.w - 2 * MARGIN), bottom: false,
        band: vp.h - 2 * MARGIN });
      markOverflow();
    } finally {
      placing = false;
    }
  }
  function markOverflow() {
    panel.classList.toggle("scrolls",
      panel.scrollTop + panel.clientHeight < panel.scrollHeight - 2);
  }
  panel.addEventListener("scroll", markOverflow, { passive: true });
  // "Why?" and the folded notes change the height: `toggle` does not bubble, so capture it.
  panel.addEventListener("toggle", markOverflow, true);
  window.addEventListener("resize", placeAwayFromSend);
  // Scrolling moves the send button and the box: look again once the page comes to rest.
  var scrollTimer = null;
  window.addEventListener("scroll", function () {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(placeAwayFromSend, 250);
  }, { passive: true, capture: true });

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
      state.hasFindings = false;
      host.setAttribute("data-level", "none");
      showPanel();
      announce("");
      return;
    }
    var top = findings[0];
    summary.textContent = (heading ? heading + ": " : "") + findings.length +
      (findings.length === 1 ? " finding" : " findings");
    fillFindings(list, findings);
    host.setAttribute("data-level", verdict.level || "none");
    state.hasFindings = true;
    showPanel();
    announce("pullcheck " + severityLabel(top.severity) + ": " + top.message);
  }

  // The panel shows while there are findings or a rejected config edit to tell about.
  function showPanel() {
    var wanted = state.hasFindings || Boolean(state.configError) || state.lostTouch;
    meterBox.hidden = !state.hasFindings;
    list.hidden = !state.hasFindings;
    panel.classList.toggle("no-findings", !state.hasFindings);
    if (!state.hasFindings) summary.textContent = "";
    panel.hidden = !wanted;
    if (!wanted) return;
    applyTheme();
    placeAwayFromSend();
  }

  // A config edit the proxy rejected (it keeps the last good config): one line in the panel
  // until the file is fixed. Comes with every live check and every events answer.
  function setConfigError(line) {
    line = typeof line === "string" && line ? line.slice(0, 500) : null;
    if (line === state.configError) return;
    state.configError = line;
    showNotice();
    if (line) announce("pullcheck: config edit not applied: " + line);
  }

  // The proxy no longer knows this page's token: pullcheck was restarted, or the tab was away
  // longer than the token's grace. Nothing this page sends will be checked live again, so say
  // so once rather than going quiet; held posts still reach the proxy (and any open page).
  var LOST_TOUCH = "Lost touch with this page (pullcheck restarted?): reload the page to " +
    "check drafts as you type again.";
  function lostTouch() {
    if (state.lostTouch) return;
    state.lostTouch = true;
    showNotice();
    announce("pullcheck: " + LOST_TOUCH);
  }

  function showNotice() {
    var line = state.lostTouch ? LOST_TOUCH
      : state.configError ? "Config edit not applied: " + state.configError : "";
    notice.textContent = line;
    notice.hidden = !line;
    showPanel();
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
      setConfigError(result.config_error);
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
    (result.pending || []).forEach(function (hold) { rememberHeld(hold.hold_id, hold.verdict); });
    (result.events || []).forEach(function (event) {
      if (event.type === "hold") rememberHeld(event.hold_id, event.verdict);
      if (event.type === "hold_resolved" && state.shownHold === event.hold_id) {
        if (ENDED[event.decision] && !state.decided[event.hold_id]) {
          holdEnded(event.hold_id, event.decision);
        } else if (!ENDED[event.decision]) {
          closeDialog();
        }
      }
      if (event.type === "hold_resolved") {
        // Sent anyway: say what was said about the post that went out, as warn mode does;
        // the next draft's live check (or emptying the box) replaces it.
        var sentVerdict = state.heldVerdicts[event.hold_id];
        delete state.heldVerdicts[event.hold_id];
        if (event.decision === "send" && sentVerdict && (sentVerdict.findings || []).length) {
          render({ verdict: sentVerdict }, "Sent");
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
  // The verdicts of this page's held posts, for the "Sent" state; a few at most.
  function rememberHeld(holdId, verdict) {
    if (!holdId || !verdict) return;
    state.heldVerdicts[holdId] = verdict;
    var ids = Object.keys(state.heldVerdicts);
    if (ids.length > 20) delete state.heldVerdicts[ids[0]];
  }
  function poll() {
    var first = since < 0;
    post("events", { since: first ? 0 : since, wait: first ? 0 : 25 }).then(function (result) {
      if (result.__status !== 200) throw new Error("status " + result.__status);
      setConfigError(result.config_error);
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
    // Keeps clear of what it follows (a post's Reply button) and of what wraps under it.
    s.display = "inline-flex"; s.alignItems = "center"; s.gap = "6px"; s.margin = "4px 0 4px 8px";
    s.verticalAlign = "middle";
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
