/*
 * The demo site's own client: shows two timelines (read through the proxy, so pullcheck learns
 * who wrote what) and sends posts in the real request shapes of X (CreateTweet GraphQL) and
 * Mastodon (/api/v1/statuses). Like the real clients, a failed send keeps the draft in the box.
 * DOM built with createElement/textContent only: the page enforces Trusted Types.
 */
(function demo() {
  "use strict";
  var X_QUERY = "SiM_cAu83R0wnrpmKQQSEw";
  var HOME_QUERY = "-X_hcgQzmHGl29-UXxz4sw";
  var form = document.getElementById("compose-form");
  var box = document.getElementById("compose");
  var platform = document.getElementById("platform");
  var visibility = document.getElementById("visibility");
  var visibilityLabel = document.getElementById("visibility-label");
  var replying = document.getElementById("replying");
  var replyingText = document.getElementById("replying-text");
  var postHint = document.getElementById("post-hint");
  var statusLine = document.getElementById("status");
  var sendButton = document.getElementById("send");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "status" + (kind ? " " + kind : "");
  }

  function setPlatform(name) {
    platform.value = name;
    form.setAttribute("data-pullcheck-platform", name);
    visibilityLabel.hidden = name !== "mastodon";
    if (name !== "mastodon") visibility.value = "public";
  }
  platform.addEventListener("change", function () {
    clearReply();
    setPlatform(platform.value);
  });

  // Not replying: say so, and how to see pullcheck (a pitch in your own post is no push).
  function clearReply() {
    form.removeAttribute("data-reply-to");
    replying.hidden = true;
    postHint.hidden = false;
  }
  document.getElementById("cancel-reply").addEventListener("click", clearReply);

  function startReply(post) {
    setPlatform(post.platform);
    form.setAttribute("data-reply-to", post.id);
    replyingText.textContent = "Replying to @" + post.handle;
    replying.hidden = false;
    postHint.hidden = true;
    if (post.platform === "mastodon" && box.value.indexOf("@" + post.handle) !== 0) {
      box.value = "@" + post.handle + " " + box.value;
    }
    box.focus();
  }

  function renderPosts(listId, posts) {
    var list = document.getElementById(listId);
    posts.forEach(function (post) {
      var item = el("li");
      item.setAttribute("data-post-id", post.id);
      var head = el("div");
      head.appendChild(el("span", "author", post.name));
      head.appendChild(el("span", "handle", "@" + post.handle));
      item.appendChild(head);
      item.appendChild(el("p", "post-text", post.text));
      var reply = el("button", "reply", "Reply");
      reply.type = "button";
      reply.setAttribute("aria-label", "Reply to @" + post.handle);
      reply.addEventListener("click", function () { startReply(post); });
      item.appendChild(reply);
      list.appendChild(item);
    });
  }

  function xPosts(body) {
    var found = [];
    (body.data.home.home_timeline_urt.instructions || []).forEach(function (instruction) {
      (instruction.entries || []).forEach(function (entry) {
        var tweet = entry.content.itemContent.tweet_results.result;
        var user = tweet.core.user_results.result.core;
        found.push({ platform: "x", id: tweet.rest_id, handle: user.screen_name,
                     name: user.name, text: tweet.legacy.full_text });
      });
    });
    return found;
  }

  function mastodonPosts(statuses) {
    return statuses.map(function (status) {
      // `content` is HTML; the demo only needs its text (no HTML parser: Trusted Types).
      var text = status.content.replace(/<[^>]*>/g, "").replace(/&amp;/g, "&")
        .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&#39;/g, "'");
      return { platform: "mastodon", id: status.id, handle: status.account.acct,
               name: status.account.display_name, text: text };
    });
  }

  var loaded = [
    fetch("/i/api/graphql/" + HOME_QUERY + "/HomeTimeline", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ variables: { count: 20, includePromotedContent: false },
                             features: {}, queryId: HOME_QUERY }),
    }).then(function (r) { return r.json(); }).then(function (body) {
      renderPosts("x-posts", xPosts(body));
    }),
    fetch("/api/v1/timelines/home?limit=20", { headers: { authorization: "Bearer demo" } })
      .then(function (r) { return r.json(); })
      .then(function (statuses) { renderPosts("mastodon-posts", mastodonPosts(statuses)); }),
  ];
  Promise.all(loaded).then(function () {
    document.documentElement.setAttribute("data-timelines", "loaded");
  });

  function xRequest(text, replyTo) {
    var variables = {
      tweet_text: text,
      dark_request: false,
      media: { media_entities: [], possibly_sensitive: false },
      semantic_annotation_ids: [],
      disallowed_reply_options: null,
    };
    if (replyTo) variables.reply = { in_reply_to_tweet_id: replyTo, exclude_reply_user_ids: [] };
    return {
      url: "/i/api/graphql/" + X_QUERY + "/CreateTweet",
      headers: { "content-type": "application/json", "x-twitter-auth-type": "OAuth2Session" },
      body: JSON.stringify({ variables: variables, features: {}, queryId: X_QUERY }),
    };
  }

  function mastodonRequest(text, replyTo) {
    return {
      url: "/api/v1/statuses",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer demo",
        "idempotency-key": String(Date.now()) + Math.random().toString(16).slice(2),
      },
      body: JSON.stringify({
        status: text, in_reply_to_id: replyTo || null, media_ids: [], sensitive: false,
        spoiler_text: "", visibility: visibility.value, poll: null, language: "en",
      }),
    };
  }

  function failed(response, body) {
    if (!response.ok) return true;
    return Boolean(body && body.errors && body.errors.length);
  }

  // One sentence for the status line. A server message that already says the post was not sent
  // (pullcheck's "Not sent: held by pullcheck; ...") is shown as it is; anything else gets
  // the client's own words around it, without doubling its full stop.
  function failureText(message) {
    var text = String(message).trim().replace(/[.\s]+$/, "");
    if (/^not sent\b/i.test(text)) return text + ".";
    return "Could not send (" + text + "); your draft is still here.";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    if (!text.trim()) return;
    var replyTo = form.getAttribute("data-reply-to");
    var request = platform.value === "x" ? xRequest(text, replyTo) : mastodonRequest(text, replyTo);
    sendButton.disabled = true;
    setStatus("Sending\u2026");
    fetch(request.url, { method: "POST", headers: request.headers, body: request.body })
      .then(function (response) {
        return response.text().then(function (raw) {
          var body = null;
          try { body = JSON.parse(raw); } catch (e) { body = null; }
          if (failed(response, body)) {
            var message = (body && (body.error || (body.errors && body.errors[0].message))) ||
              "HTTP " + response.status;
            setStatus(failureText(message), "error");
            return;
          }
          box.value = "";
          clearReply();
          setStatus("Posted.", "ok");
        });
      }, function () {
        setStatus(failureText("network error"), "error");
      })
      .then(function () { sendButton.disabled = false; });
  });
})();
