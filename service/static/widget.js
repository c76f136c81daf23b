/*
 * marja chat widget: cited-passage answers to Arabic and English questions, in one script tag.
 *
 *   <script src="https://marja.example.org/widget.js" defer></script>
 *   <marja-chat endpoint="https://marja.example.org"></marja-chat>
 *
 * Attributes:
 *   endpoint  the marja service (default: where this script was loaded from)
 *   lang      "ar" or "en": language of the widget's own labels (default: navigator.language)
 *   top-k     how many passages an answer shows (default 3)
 *   timeout   seconds to wait for the service (default 20)
 * Theming: the CSS custom properties --marja-accent, --marja-height and --marja-max-width.
 *
 * Plain JS, no dependencies. Everything lives in a shadow root, so the host page's CSS cannot reach
 * inside and the widget's CSS cannot leak out. SECURITY: data from the service (passages, titles,
 * questions, error messages) only ever becomes text nodes: `el()` and `append(string)` below;
 * no innerHTML anywhere in this file.
 */
(() => {
  "use strict";

  const TAG = "marja-chat";
  if (customElements.get(TAG)) return; // the script was included twice

  // Captured while the script runs (classic scripts, also with defer/async); null for modules.
  const SCRIPT_SRC = document.currentScript ? document.currentScript.src : "";
  const DEFAULT_TOP_K = 3;
  const DEFAULT_TIMEOUT_S = 20;
  const MAX_STORED_TURNS = 30;
  const RTL_LANGS = new Set(["ar", "fa", "he", "ur", "ps", "sd", "ckb", "yi", "dv", "ug"]);

  const LABELS = {
    en: {
      title: "Ask marja",
      subtitle: "Answers with cited passages",
      conversation: "Conversation",
      intro: "Ask a question in Arabic or English: the answer shows the passages it comes from.",
      question: "Your question",
      youAsked: "You asked:",
      placeholder: "Ask in Arabic or English…",
      hint: "Enter to send · Shift+Enter for a new line",
      send: "Send",
      newChat: "New conversation",
      loading: "Searching the documents…",
      passages: "Cited passages",
      noPassages: "No passage answers this question.",
      page: "page {n}",
      showSource: "Show source",
      openOriginal: "Open original",
      back: "← Back to the conversation",
      source: "Source document",
      loadingDoc: "Loading the document…",
      moved: "This passage is no longer in the document (it changed since the answer).",
      unreachable: "Cannot reach the service. Check the connection and try again.",
      timeout: "The service did not answer in time. Try again.",
      http: "The service could not answer ({status}): {detail}",
      bad: "The service sent an answer the widget cannot read.",
    },
    ar: {
      title: "اسأل مرجع",
      subtitle: "إجابات بمقاطع موثّقة بمصادرها",
      conversation: "المحادثة",
      intro: "اطرح سؤالًا بالعربية أو بالإنجليزية: تعرض الإجابة المقاطع التي جاءت منها.",
      question: "سؤالك",
      youAsked: "سألتَ:",
      placeholder: "اكتب سؤالك بالعربية أو بالإنجليزية…",
      hint: "اضغط Enter للإرسال، وShift+Enter لسطر جديد",
      send: "إرسال",
      newChat: "محادثة جديدة",
      loading: "جارٍ البحث في الوثائق…",
      passages: "المقاطع المستشهد بها",
      noPassages: "لا يوجد مقطع يجيب عن هذا السؤال.",
      page: "صفحة {n}",
      showSource: "عرض المصدر",
      openOriginal: "فتح الأصل",
      back: "→ العودة إلى المحادثة",
      source: "الوثيقة المصدر",
      loadingDoc: "جارٍ تحميل الوثيقة…",
      moved: "لم يعد هذا المقطع موجودًا في الوثيقة (تغيّرت بعد الإجابة).",
      unreachable: "تعذّر الوصول إلى الخدمة. تحقّق من الاتصال وأعد المحاولة.",
      timeout: "لم تُجب الخدمة في الوقت المحدد. أعد المحاولة.",
      http: "تعذّر على الخدمة الإجابة ({status}): {detail}",
      bad: "أرسلت الخدمة ردًّا لا يستطيع التطبيق قراءته.",
    },
  };

  const CSS = `
    :host {
      /* Reset everything the host page could make us inherit or impose. !important in a shadow
         tree's :host beats the page's own !important rules on <marja-chat>. */
      all: initial !important;
      display: block !important;
      max-width: var(--marja-max-width, 780px) !important;
      --accent: var(--marja-accent, #0b5d8f) !important;
    }
    *, *::before, *::after { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .chat {
      display: flex; flex-direction: column; overflow: hidden;
      height: var(--marja-height, 600px);
      border: 1px solid #c9d3dc; border-radius: 12px; background: #fff; color: #1b2430;
      font: 15px/1.6 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans Arabic",
        "DejaVu Sans", Tahoma, Arial, sans-serif;
      text-align: start;
    }
    .chat:lang(ar) { font-size: 16px; }
    .bar {
      display: flex; align-items: center; gap: 12px; padding: 10px 14px;
      background: #f2f6f9; border-bottom: 1px solid #dde4ea;
    }
    .bar .titles { flex: 1; min-width: 0; }
    h2 { margin: 0; font-size: 1.05em; font-weight: 650; color: #0d3553; }
    .subtitle { margin: 0; font-size: 0.8em; color: #56636f; }
    button {
      font: inherit; font-size: 0.9em; cursor: pointer; color: #0d3553; background: #fff;
      border: 1px solid #9eb1c2; border-radius: 8px; padding: 3px 11px;
    }
    button:hover { background: #eaf2f8; }
    a { color: #0b5d8f; }
    :focus-visible { outline: 3px solid #e08a00; outline-offset: 2px; }
    .log {
      flex: 1; min-height: 0; overflow-y: auto; position: relative;
      display: flex; flex-direction: column; gap: 18px; padding: 14px;
    }
    .log:focus-visible { outline-offset: -3px; }
    .intro { margin: auto; max-width: 30em; text-align: center; color: #56636f; }
    .turn { display: flex; flex-direction: column; gap: 8px; }
    /* The asker's bubble sits at the inline end (left in an Arabic UI); its own text direction
       comes from its content (dir=auto), one paragraph at a time (plaintext). */
    .question {
      align-self: flex-end; max-width: 85%; margin: 0; padding: 7px 13px;
      background: var(--accent); color: #fff; border-radius: 14px;
      white-space: pre-wrap; unicode-bidi: plaintext; overflow-wrap: anywhere;
    }
    .passages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
    .passage { border: 1px solid #d9e1e8; border-radius: 10px; padding: 10px 13px; background: #fbfcfd; }
    .passage h3 { margin: 0; font-size: 0.9em; font-weight: 650; color: #0d3553; unicode-bidi: plaintext; }
    .meta { font-size: 0.8em; color: #56636f; }
    .text { margin: 6px 0 8px; white-space: pre-wrap; unicode-bidi: plaintext; overflow-wrap: anywhere; }
    mark { color: inherit; background: #ffe27a; border-radius: 3px; padding: 0 1px; }
    mark.cite { background: #fff3c4; box-shadow: 0 0 0 2px #fff3c4; }
    mark.cite mark.hl { background: #ffd23f; }
    .actions { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; font-size: 0.9em; }
    .loading { display: flex; align-items: center; gap: 8px; margin: 0; color: #56636f; }
    .loading::before {
      content: ""; width: 14px; height: 14px; flex: none; border-radius: 50%;
      border: 2px solid #c6d3de; border-top-color: var(--accent); animation: spin 0.8s linear infinite;
    }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .loading::before { animation: none; } }
    .error {
      margin: 0; padding: 8px 12px; border: 1px solid #e3a6a6; border-radius: 10px;
      background: #fdf1f1; color: #8b1a1a; unicode-bidi: plaintext; overflow-wrap: anywhere;
    }
    .none { margin: 0; color: #56636f; font-style: italic; }
    form { display: flex; align-items: flex-end; gap: 8px; padding: 10px 14px 2px; border-top: 1px solid #dde4ea; }
    textarea {
      flex: 1; min-width: 0; resize: none; font: inherit; color: inherit; background: #fff;
      padding: 7px 10px; border: 1px solid #9eb1c2; border-radius: 8px; unicode-bidi: plaintext;
    }
    button.send { background: var(--accent); border-color: var(--accent); color: #fff; padding: 7px 18px; }
    button.send:hover { filter: brightness(1.1); }
    button[aria-disabled="true"] { opacity: 0.6; cursor: progress; }
    .hint { margin: 0; padding: 2px 14px 8px; font-size: 0.75em; color: #56636f; }
    .source { flex: 1; min-height: 0; display: flex; flex-direction: column; }
    .source-head { padding: 10px 14px; border-bottom: 1px solid #dde4ea; }
    .source-head h3 { margin: 8px 0 0; font-size: 1em; color: #0d3553; unicode-bidi: plaintext; }
    .doc {
      flex: 1; min-height: 0; overflow-y: auto; position: relative; margin: 0; padding: 14px;
      white-space: pre-wrap; unicode-bidi: plaintext; overflow-wrap: anywhere; line-height: 1.75;
    }
    .sr {
      position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0; padding: 0;
    }
  `;

  // ---- helpers --------------------------------------------------------------------------------

  /** Build an element. Children that are strings become text nodes (never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  const fmt = (template, vars) => template.replace(/\{(\w+)\}/g, (_, key) => String(vars[key] ?? ""));
  const str = (value) => (value === null || value === undefined ? "" : String(value));
  const langCode = (lang) => (/^[a-z]{2,3}$/.test(str(lang)) ? str(lang) : null);

  /** Explicit direction for a known language code, otherwise let the browser decide. */
  function dirFor(lang) {
    const code = langCode(lang);
    if (!code || code === "und") return "auto";
    return RTL_LANGS.has(code) ? "rtl" : "ltr";
  }

  /**
   * The service counts offsets in Unicode code points (Python strings); JS strings index UTF-16
   * units. They differ only after a character outside the BMP (emoji, some CJK), so map only then.
   */
  function unitIndexer(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (cp) => Math.max(0, Math.min(cp, text.length));
    const units = [];
    let i = 0;
    for (const ch of text) {
      units.push(i);
      i += ch.length;
    }
    units.push(i);
    return (cp) => units[Math.max(0, Math.min(cp, units.length - 1))];
  }

  /** text[from:to] as text nodes, with the (UTF-16) spans wrapped in <mark class=...>. */
  function marked(text, spans, className, from = 0, to = text.length) {
    const frag = document.createDocumentFragment();
    const clipped = spans
      .map(([s, e]) => [Math.max(s, from), Math.min(e, to)])
      .filter(([s, e]) => e > s)
      .sort((a, b) => a[0] - b[0]);
    let pos = from;
    for (const [s, e] of clipped) {
      if (e <= pos) continue; // inside a span already marked
      const start = Math.max(s, pos);
      if (start > pos) frag.append(text.slice(pos, start));
      frag.append(el("mark", { class: className }, text.slice(start, e)));
      pos = e;
    }
    if (pos < to) frag.append(text.slice(pos, to));
    return frag;
  }

  /** Only web links become <a href>: a "javascript:" source_url stays inert. */
  function safeUrl(url, base) {
    try {
      const parsed = new URL(str(url), base);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  /** A failure we can describe to the user: kind is "unreachable", "timeout", "http" or "bad". */
  class ServiceError extends Error {
    constructor(kind, status = 0, detail = "") {
      super(`${kind} ${status} ${detail}`);
      this.kind = kind;
      this.status = status;
      this.detail = detail;
    }
  }

  function detailOf(body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => str(d && d.msg)).join("; ");
    return "";
  }

  // Constructable stylesheets also work under a strict Content-Security-Policy (no 'unsafe-inline').
  let sharedSheet = null;
  function applyStyles(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sharedSheet) {
          sharedSheet = new CSSStyleSheet();
          sharedSheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sharedSheet];
        return;
      } catch {
        /* fall through to <style> */
      }
    }
    root.append(el("style", {}, CSS));
  }

  // ---- the element ----------------------------------------------------------------------------

  class MarjaChat extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "lang"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._turns = []; // [{question, response} | {question, error: {kind, status, detail}}]
      this._busy = false;
      this._docs = new Map(); // doc_id -> Promise of the document
      this._opener = null; // the "show source" button to return focus to
      this._sourceToken = 0; // ignores a document that arrives after the view was closed
    }

    connectedCallback() {
      if (!this._ui) {
        this._load();
        this._render();
      }
    }

    attributeChangedCallback(name, oldValue, newValue) {
      if (!this._ui || oldValue === newValue) return;
      if (name === "endpoint") {
        this._docs.clear();
        this._load();
      }
      this._render();
    }

    /** The service's base URL, without a trailing slash. Relative values resolve against the page. */
    get endpoint() {
      const given = this.getAttribute("endpoint");
      const fallback = SCRIPT_SRC ? new URL("./", SCRIPT_SRC).href : location.href;
      let url;
      try {
        url = new URL(given || fallback, document.baseURI);
      } catch {
        url = new URL(fallback, document.baseURI);
      }
      url.search = "";
      url.hash = "";
      return url.href.replace(/\/+$/, "");
    }

    get uiLang() {
      const lang = (this.getAttribute("lang") || navigator.language || "en").toLowerCase();
      return lang.startsWith("ar") ? "ar" : "en";
    }

    get topK() {
      const k = parseInt(this.getAttribute("top-k"), 10);
      return Number.isFinite(k) && k >= 1 ? k : DEFAULT_TOP_K;
    }

    get timeoutMs() {
      const s = parseFloat(this.getAttribute("timeout"));
      return (Number.isFinite(s) && s > 0 ? s : DEFAULT_TIMEOUT_S) * 1000;
    }

    // -- conversation storage (per tab, per endpoint) --

    get _storageKey() {
      return `marja-chat:${this.endpoint}${this.id ? "#" + this.id : ""}`;
    }

    _load() {
      this._turns = [];
      try {
        const saved = JSON.parse(sessionStorage.getItem(this._storageKey) || "null");
        if (saved && Array.isArray(saved.turns)) {
          this._turns = saved.turns.filter(
            (t) =>
              t && typeof t.question === "string" &&
              ((t.response && Array.isArray(t.response.passages)) || (t.error && t.error.kind)),
          );
        }
      } catch {
        /* unreadable or blocked storage: start afresh */
      }
    }

    _save() {
      try {
        this._turns = this._turns.slice(-MAX_STORED_TURNS);
        sessionStorage.setItem(this._storageKey, JSON.stringify({ v: 1, turns: this._turns }));
      } catch {
        /* storage full or disabled: the conversation just won't survive a reload */
      }
    }

    // -- rendering --

    _render() {
      const t = (this._t = LABELS[this.uiLang]);
      this._root.replaceChildren();
      applyStyles(this._root);

      this._log = el("div", {
        class: "log", role: "log", "aria-live": "polite", "aria-label": t.conversation,
        "aria-busy": "false", tabindex: "0",
      });
      this._input = el("textarea", {
        rows: "2", placeholder: t.placeholder, "aria-label": t.question,
        "aria-describedby": "hint", enterkeyhint: "send",
      });
      this._send = el("button", { type: "submit", class: "send" }, t.send);
      this._form = el("form", { "aria-label": t.question }, this._input, this._send);
      this._hint = el("p", { class: "hint", id: "hint" }, t.hint);
      const newChat = el("button", { type: "button", class: "new" }, t.newChat);

      this._back = el("button", { type: "button", class: "back" }, t.back);
      this._sourceTitle = el("h3", { id: "source-title", dir: "auto" });
      this._sourceLinks = el("div", { class: "actions" });
      this._doc = el("div", { class: "doc", tabindex: "0", "aria-label": t.source });
      this._source = el(
        "section",
        { class: "source", role: "dialog", "aria-labelledby": "source-title", hidden: true },
        el("div", { class: "source-head" }, this._back, this._sourceTitle, this._sourceLinks),
        this._doc,
      );

      this._ui = el(
        "div",
        { class: "chat", lang: this.uiLang, dir: this.uiLang === "ar" ? "rtl" : "ltr" },
        el("div", { class: "bar" },
          el("div", { class: "titles" }, el("h2", {}, t.title), el("p", { class: "subtitle" }, t.subtitle)),
          newChat),
        this._log, this._form, this._hint, this._source,
      );
      this._root.append(this._ui);
      this._renderLog();

      this._form.addEventListener("submit", (e) => {
        e.preventDefault();
        this._ask(this._input.value);
      });
      this._input.addEventListener("input", () => this._syncInputDir());
      this._syncInputDir();
      this._input.addEventListener("keydown", (e) => {
        // Enter sends, Shift+Enter is a new line; never while an IME is composing (keyCode 229).
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
          e.preventDefault();
          this._ask(this._input.value);
        }
      });
      newChat.addEventListener("click", () => {
        if (this._busy) return;
        this._turns = [];
        this._save();
        this._closeSource();
        this._renderLog();
        this._input.focus();
      });
      this._back.addEventListener("click", () => this._closeSource());
      this._ui.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && !this._source.hidden) {
          e.preventDefault();
          this._closeSource();
        }
      });
    }

    /** dir=auto follows what is typed; an empty box would fall back to ltr, so it takes the UI's. */
    _syncInputDir() {
      this._input.setAttribute("dir", this._input.value ? "auto" : this._ui.dir);
    }

    _renderLog() {
      this._log.replaceChildren();
      if (!this._turns.length) this._log.append(el("p", { class: "intro" }, this._t.intro));
      for (const turn of this._turns) {
        try {
          this._log.append(this._turnNode(turn));
        } catch {
          /* a damaged stored turn: skip it rather than lose the whole conversation */
        }
      }
      this._log.scrollTop = this._log.scrollHeight;
    }

    _turnNode(turn) {
      const node = el("div", { class: "turn" },
        el("span", { class: "sr" }, this._t.youAsked),
        el("p", { class: "question", dir: "auto" }, turn.question),
        el("div", { class: "answer" }));
      this._fillAnswer(node, turn);
      return node;
    }

    _fillAnswer(node, turn) {
      const t = this._t;
      const slot = node.querySelector(".answer");
      if (turn.error) {
        slot.replaceChildren(this._errorNode(turn.error));
      } else if (!turn.response) {
        slot.replaceChildren(el("p", { class: "loading" }, t.loading));
      } else if (!turn.response.passages.length) {
        slot.replaceChildren(el("p", { class: "none" }, t.noPassages));
      } else {
        const list = el("ol", { class: "passages", "aria-label": t.passages });
        turn.response.passages.forEach((p) => list.append(this._passageNode(p)));
        slot.replaceChildren(list);
      }
    }

    _errorNode(error) {
      const t = this._t;
      const message =
        error.kind === "http" ? fmt(t.http, { status: error.status, detail: error.detail || "" })
        : t[error.kind] || t.bad;
      return el("p", { class: "error", dir: "auto" }, message);
    }

    _passageNode(p) {
      const t = this._t;
      const c = p.citation || {};
      const text = str(p.text);
      // Highlights are document offsets: relative to the passage they start at citation.start.
      const toUnit = unitIndexer(text);
      const spans = (p.highlights || []).map((h) => [toUnit(h.start - c.start), toUnit(h.end - c.start)]);
      const from = text.length - text.trimStart().length; // show without surrounding blank lines
      const to = text.trimEnd().length;

      const meta = [];
      if (c.page) meta.push(fmt(t.page, { n: c.page }));
      const showSource = el("button", { type: "button", class: "show-source" }, t.showSource);
      showSource.addEventListener("click", () => this._openSource(p, showSource));
      const url = c.source_url ? safeUrl(c.source_url, this.endpoint) : null;

      return el("li", {
        class: "passage", "data-doc-id": str(c.doc_id), "data-start": c.start, "data-end": c.end,
      },
        el("h3", { class: "title", dir: "auto" }, str(c.title || c.doc_id)),
        meta.length ? el("div", { class: "meta" }, meta.join(" · ")) : null,
        el("p", { class: "text", dir: dirFor(p.lang), lang: langCode(p.lang) },
          marked(text, spans, "hl", from, to)),
        el("div", { class: "actions" },
          showSource,
          url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "original" },
            t.openOriginal) : null),
      );
    }

    // -- talking to the service --

    async _fetchJson(path, init = {}) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      try {
        const res = await fetch(this.endpoint + path, {
          ...init,
          headers: { Accept: "application/json", ...(init.headers || {}) },
          signal: controller.signal,
        });
        const body = await res.json().catch(() => null);
        if (!res.ok) throw new ServiceError("http", res.status, detailOf(body) || res.statusText);
        if (!body || typeof body !== "object") throw new ServiceError("bad");
        return body;
      } catch (err) {
        if (err instanceof ServiceError) throw err;
        if (err && err.name === "AbortError") throw new ServiceError("timeout");
        // A network failure, a refused connection and a CORS refusal all look alike from here.
        throw new ServiceError("unreachable");
      } finally {
        clearTimeout(timer);
      }
    }

    async _ask(raw) {
      const question = str(raw).trim();
      if (!question || this._busy) return;
      // For short follow-ups ("and in 2019?") the service needs the question before this one.
      const previous = [...this._turns].reverse().find((t) => t.response);
      const turn = { question };

      this._closeSource();
      if (!this._turns.length) this._log.replaceChildren(); // drop the intro
      this._turns.push(turn);
      const node = this._turnNode(turn);
      this._log.append(node);
      this._log.scrollTop = this._log.scrollHeight;
      this._input.value = "";
      this._syncInputDir();
      this._setBusy(true);

      try {
        const response = await this._fetchJson("/ask", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            question, top_k: this.topK, previous_question: previous ? previous.question : null,
          }),
        });
        if (!Array.isArray(response.passages)) throw new ServiceError("bad");
        turn.response = response;
      } catch (err) {
        turn.error = { kind: err.kind || "bad", status: err.status || 0, detail: str(err.detail) };
      }
      this._fillAnswer(node, turn);
      if (turn.error && !this._input.value) {
        this._input.value = question; // ready to retry (or fix) with Enter
        this._syncInputDir();
      }
      this._save();
      this._setBusy(false);
      if (!node.isConnected) this._renderLog(); // the widget was re-rendered (lang changed) meanwhile
      this._log.scrollTop = Math.max(0, node.offsetTop - 8); // the new answer's start in view
      // Give focus back for the next question, unless the user has moved on to the host page.
      const active = document.activeElement;
      if (!active || active === document.body || active === this) this._input.focus({ preventScroll: true });
    }

    _setBusy(busy) {
      this._busy = busy;
      this._log.setAttribute("aria-busy", String(busy));
      this._send.setAttribute("aria-disabled", String(busy));
    }

    _document(docId) {
      if (!this._docs.has(docId)) {
        const promise = this._fetchJson(`/documents/${encodeURIComponent(docId)}`);
        promise.catch(() => this._docs.delete(docId)); // retry next time
        this._docs.set(docId, promise);
      }
      return this._docs.get(docId);
    }

    // -- the source view: the whole document with the cited span marked --

    async _openSource(p, opener) {
      const t = this._t;
      const c = p.citation || {};
      const token = ++this._sourceToken;
      this._opener = opener;
      this._sourceTitle.textContent = str(c.title || c.doc_id);
      this._sourceLinks.replaceChildren();
      this._doc.removeAttribute("dir");
      this._doc.replaceChildren(el("p", { class: "loading" }, t.loadingDoc));
      for (const part of [this._log, this._form, this._hint]) part.hidden = true;
      this._source.hidden = false;
      this._back.focus();

      let doc;
      try {
        doc = await this._document(str(c.doc_id));
      } catch (err) {
        if (token === this._sourceToken) this._doc.replaceChildren(this._errorNode(err));
        return;
      }
      if (token !== this._sourceToken) return; // closed, or another source opened meanwhile

      const text = str(doc.text);
      const toUnit = unitIndexer(text);
      let start = toUnit(c.start);
      let end = toUnit(c.end);
      let shift = 0;
      const passage = str(p.text);
      if (text.slice(start, end) !== passage) {
        // The document changed since this answer (e.g. a restored conversation): find the passage.
        const at = passage ? text.indexOf(passage) : -1;
        shift = at - start;
        [start, end] = at >= 0 ? [at, at + passage.length] : [0, 0];
      }
      const spans = (p.highlights || []).map((h) => [toUnit(h.start) + shift, toUnit(h.end) + shift]);
      const cite = el("mark", { class: "cite" }, marked(text, spans, "hl", start, end));
      this._doc.setAttribute("dir", dirFor(doc.lang));
      if (end > start) {
        this._doc.replaceChildren(text.slice(0, start), cite, text.slice(end));
      } else {
        this._doc.replaceChildren(el("p", { class: "error" }, t.moved), text);
      }
      const url = doc.source_url ? safeUrl(doc.source_url, this.endpoint) : null;
      if (url) {
        this._sourceLinks.append(
          el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "original" }, t.openOriginal),
        );
      }
      // Scroll only the document box (scrollIntoView would also scroll the host page).
      if (end > start) this._doc.scrollTop = Math.max(0, cite.offsetTop - this._doc.clientHeight / 4);
    }

    _closeSource() {
      if (!this._source || this._source.hidden) return;
      this._sourceToken++;
      this._source.hidden = true;
      for (const part of [this._log, this._form, this._hint]) part.hidden = false;
      const opener = this._opener;
      this._opener = null;
      (opener && opener.isConnected ? opener : this._input).focus();
    }
  }

  customElements.define(TAG, MarjaChat);
})();
