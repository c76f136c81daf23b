/*
 * marja chat widget: cited-passage answers to Arabic and English questions, in one script tag.
 *
 *   <script src="https://marja.example.org/widget.js" defer></script>
 *   <marja-chat endpoint="https://marja.example.org"></marja-chat>
 *
 * Attributes:
 *   endpoint  the marja service (default: where this script was loaded from)
 *   lang      "ar" or "en": language of the widget's own labels (default: navigator.language)
 *   theme     "light", "dark" or "auto" (default: auto, follows prefers-color-scheme)
 *   height    the widget's height, a CSS length ("560px", "70vh", "100%"); never taller than the viewport
 *   key       a publishable widget key (read-only, bound to the page's origins on the server)
 *   top-k     how many passages an answer shows (default 3)
 *   timeout   seconds to wait for the service (default 20)
 * Theming: the CSS custom properties --marja-accent, --marja-bg, --marja-text, --marja-font,
 * --marja-font-arabic, --marja-radius, --marja-height and --marja-max-width, and ::part() names
 * (chat, header, title, new-conversation, log, question, answer, passage, passage-title,
 * passage-text, input, send, source, error, feedback).
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
  const PROBE_TIMEOUT_MS = 4000;
  const MAX_STORED_TURNS = 30;
  const MAX_QUESTION = 2000; // the service's limit (characters)
  const COUNT_FROM = 1800; // show the counter from here on
  const MAX_COMMENT = 500;
  const MAX_WAITING = 3; // questions queued behind the one being answered
  const FOLLOW_UP_MAX_WORDS = 4; // "and in 2019?" continues the subject; longer questions start one
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
      waiting: "Waiting for the previous answer…",
      queueFull: "Wait for the answers already asked before asking more.",
      cleared: "New conversation started.",
      passages: "Cited passages",
      noAnswer: "No passage answers this question.",
      closest: "Closest passages",
      strong: "Strong match",
      weak: "Weak match",
      page: "page {n}",
      pageShort: "p. {n}",
      showSource: "Show source",
      showSourceOf: "Show source: {title} (passage {n})",
      copy: "Copy",
      copyOf: "Copy passage {n} with its citation",
      copied: "Copied",
      copyFailed: "Could not copy: select the text instead.",
      openOriginal: "Open original",
      back: "← Back to the conversation",
      source: "Source document",
      loadingDoc: "Loading the document…",
      moved: "This passage is no longer in the document (it changed since the answer).",
      unreachable: "Cannot reach the service. Check the connection and try again.",
      blocked:
        "This page's address ({origin}) is not allowed to use the service (ask the administrator " +
        "to add it to MARJA_CORS_ORIGINS).",
      blockedKey:
        "This page's address ({origin}) is not allowed to use this widget key (ask the administrator " +
        "to add it to the key's origins in MARJA_WIDGET_KEYS).",
      interrupted: "The connection to the service was interrupted. Try again.",
      timeout: "The service did not answer in time. Try again.",
      http: "The service could not answer ({status}): {detail}",
      bad: "The service sent an answer the widget cannot read.",
      retry: "Retry",
      count: "{n} / {max}",
      tooLong: "Questions are limited to {max} characters.",
      helpful: "Was this answer helpful?",
      up: "Helpful",
      down: "Not helpful",
      which: "Which passage answered?",
      passageN: "Passage {n}",
      comment: "Comment (optional)",
      sendFeedback: "Send feedback",
      cancel: "Cancel",
      thanks: "Thanks, your feedback was recorded.",
      feedbackFailed: "Your feedback was not sent: {message}",
      found: "{count} from {titles}.",
      and: " and ",
      more: "{n} more",
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
      waiting: "في انتظار الإجابة السابقة…",
      queueFull: "انتظر إجابات الأسئلة المطروحة قبل طرح المزيد.",
      cleared: "بدأت محادثة جديدة.",
      passages: "المقاطع المستشهد بها",
      noAnswer: "لا يوجد مقطع يجيب عن هذا السؤال.",
      closest: "أقرب المقاطع",
      strong: "تطابق قوي",
      weak: "تطابق ضعيف",
      page: "صفحة {n}",
      pageShort: "ص. {n}",
      showSource: "عرض المصدر",
      showSourceOf: "عرض المصدر: {title} (المقطع {n})",
      copy: "نسخ",
      copyOf: "نسخ المقطع {n} مع الإحالة إلى مصدره",
      copied: "تم النسخ",
      copyFailed: "تعذّر النسخ: حدّد النص بدلًا من ذلك.",
      openOriginal: "فتح الأصل",
      back: "→ العودة إلى المحادثة",
      source: "الوثيقة المصدر",
      loadingDoc: "جارٍ تحميل الوثيقة…",
      moved: "لم يعد هذا المقطع موجودًا في الوثيقة (تغيّرت بعد الإجابة).",
      unreachable: "تعذّر الوصول إلى الخدمة. تحقّق من الاتصال وأعد المحاولة.",
      blocked:
        "عنوان هذه الصفحة ({origin}) غير مسموح له باستخدام الخدمة (اطلب من المسؤول إضافته إلى " +
        "MARJA_CORS_ORIGINS).",
      blockedKey:
        "عنوان هذه الصفحة ({origin}) غير مسموح له باستخدام مفتاح الأداة هذا (اطلب من المسؤول إضافته " +
        "إلى أصول المفتاح في MARJA_WIDGET_KEYS).",
      interrupted: "انقطع الاتصال بالخدمة. أعد المحاولة.",
      timeout: "لم تُجب الخدمة في الوقت المحدد. أعد المحاولة.",
      http: "تعذّر على الخدمة الإجابة ({status}): {detail}",
      bad: "أرسلت الخدمة ردًّا لا يستطيع التطبيق قراءته.",
      retry: "إعادة المحاولة",
      count: "{n} / {max}",
      tooLong: "لا يتجاوز السؤال {max} حرف.",
      helpful: "هل كانت الإجابة مفيدة؟",
      up: "مفيدة",
      down: "غير مفيدة",
      which: "أي مقطع أجاب عن السؤال؟",
      passageN: "المقطع {n}",
      comment: "تعليق (اختياري)",
      sendFeedback: "إرسال الملاحظة",
      cancel: "إلغاء",
      thanks: "شكرًا، سُجّلت ملاحظتك.",
      feedbackFailed: "لم تُرسل ملاحظتك: {message}",
      found: "{count} من {titles}.",
      and: " و",
      more: "{n} أخرى",
    },
  };

  /** "3 passages" in the interface language (Arabic has six plural forms). */
  const PASSAGE_COUNT = {
    en: { one: "1 passage", other: "{n} passages" },
    ar: {
      zero: "لا مقاطع",
      one: "مقطع واحد",
      two: "مقطعان",
      few: "{n} مقاطع",
      many: "{n} مقطعًا",
      other: "{n} مقطع",
    },
  };

  // Colours of each theme; the public --marja-* properties override them.
  const LIGHT = `
    color-scheme: light;
    --accent: var(--marja-accent, #0b5d8f); --on-accent: #fff;
    --bg: var(--marja-bg, #fff); --fg: var(--marja-text, #1b2430);
    --muted: #56636f; --heading: #0d3553; --line: #c9d3dc; --soft-line: #dde4ea;
    --surface: #f2f6f9; --card: #fbfcfd; --button: #fff; --button-line: #8ea3b6; --hover: #eaf2f8;
    --link: #0b5d8f; --mark: #ffe27a; --cite: #fff3c4; --cite-hl: #ffd23f; --focus: #c46f00;
    --error-bg: #fdf1f1; --error-line: #e3a6a6; --error-fg: #8b1a1a; --strong: #1d6b3a; --weak: #7a5a00;`;
  const DARK = `
    color-scheme: dark;
    --accent: var(--marja-accent, #1b6a9e); --on-accent: #fff;
    --bg: var(--marja-bg, #151a20); --fg: var(--marja-text, #e2e8ee);
    --muted: #a3afbb; --heading: #cde3f6; --line: #3a4652; --soft-line: #2b3540;
    --surface: #1c242d; --card: #1a2129; --button: #212b35; --button-line: #5a6b7b; --hover: #2a3642;
    --link: #8cc8ff; --mark: #5e4d0c; --cite: #3a3216; --cite-hl: #6e5a0e; --focus: #ffb347;
    --error-bg: #3a1c1c; --error-line: #7d3b3b; --error-fg: #ffc2c2; --strong: #8fe0a8; --weak: #f0cf7a;`;

  const STYLES = `
    :host { display: block; max-width: var(--marja-max-width, 780px); }
    :host([hidden]) { display: none !important; }
    *, *::before, *::after { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .chat {
      /* Nothing of the host page's styles reaches inside: inherited properties start afresh here. */
      all: initial;
      ${LIGHT}
      --font: var(--marja-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
        "Helvetica Neue", Arial, "DejaVu Sans", sans-serif);
      --font-ar: var(--marja-font-arabic, "Noto Naskh Arabic", "Noto Sans Arabic", "Segoe UI",
        "Geeza Pro", "Dubai", "Arabic Typesetting", Tahoma, "DejaVu Sans", sans-serif);
      --radius: var(--marja-radius, 12px);
      box-sizing: border-box; position: relative; display: flex; flex-direction: column; overflow: hidden;
      height: var(--height, var(--marja-height, 640px));
      max-height: 100vh; max-height: 100dvh; min-height: min(300px, 100dvh);
      border: 1px solid var(--line); border-radius: var(--radius); background: var(--bg); color: var(--fg);
      font: 15px/1.6 var(--font); text-align: start; -webkit-text-size-adjust: 100%;
    }
    :host([theme="dark"]) .chat { ${DARK} }
    @media (prefers-color-scheme: dark) { :host(:not([theme="light"])) .chat { ${DARK} } }
    :lang(ar) { font-family: var(--font-ar); }
    .chat:lang(ar) { font-size: 16px; }
    .bar {
      display: flex; align-items: center; gap: 12px; padding: 8px 14px;
      background: var(--surface); border-bottom: 1px solid var(--soft-line);
    }
    .bar .titles { flex: 1; min-width: 0; }
    h2 { margin: 0; font-size: 1.05em; font-weight: 650; color: var(--heading); }
    .subtitle { margin: 0; font-size: 0.8em; color: var(--muted); }
    button {
      font: inherit; font-size: 0.9em; cursor: pointer; color: var(--heading); background: var(--button);
      border: 1px solid var(--button-line); border-radius: 8px; padding: 3px 11px;
    }
    button:hover { background: var(--hover); }
    a { color: var(--link); }
    :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
    .log, .doc { overscroll-behavior: contain; }
    .log {
      flex: 1; min-height: 0; overflow-y: auto; position: relative;
      display: flex; flex-direction: column; gap: 18px; padding: 14px;
    }
    .log:focus-visible, .doc:focus-visible { outline-offset: -3px; }
    .intro { margin: auto; max-width: 30em; text-align: center; color: var(--muted); }
    .turn { display: flex; flex-direction: column; gap: 8px; }
    /* The asker's bubble sits at the inline end (left in an Arabic UI); its own text direction
       comes from its content (dir=auto), one paragraph at a time (plaintext). */
    .question {
      align-self: flex-end; max-width: 85%; margin: 0; padding: 7px 13px;
      background: var(--accent); color: var(--on-accent); border-radius: 14px;
      white-space: pre-wrap; unicode-bidi: plaintext; overflow-wrap: anywhere;
    }
    .passages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
    .passage {
      border: 1px solid var(--soft-line); border-radius: calc(var(--radius) * 0.8); padding: 10px 13px;
      background: var(--card);
    }
    .passage h3 { margin: 0; font-size: 0.9em; font-weight: 650; color: var(--heading); unicode-bidi: plaintext; }
    .meta { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; font-size: 0.8em; color: var(--muted); }
    .tag { border: 1px solid currentColor; border-radius: 999px; padding: 0 7px; font-size: 0.95em; }
    .tag.strong { color: var(--strong); }
    .tag.weak { color: var(--weak); }
    .text { margin: 6px 0 8px; overflow-wrap: anywhere; }
    .text p, .doc p, .text ul, .text ol, .doc ul, .doc ol, .doc blockquote { margin: 0 0 0.6em; }
    .text > :last-child, .doc > :last-child { margin-bottom: 0; }
    .text ul, .text ol, .doc ul, .doc ol { padding-inline-start: 1.4em; }
    .text li, .doc li { margin: 0 0 0.35em; }
    .text p, .text li, .doc p, .doc li, .doc h3, .doc h4, .doc h5, .doc h6, .doc blockquote {
      white-space: pre-wrap; unicode-bidi: plaintext;
    }
    .text .h { font-weight: 650; }
    .doc h3, .doc h4, .doc h5, .doc h6 { margin: 1em 0 0.4em; color: var(--heading); font-size: 1.05em; }
    .doc blockquote { padding-inline-start: 0.8em; border-inline-start: 3px solid var(--line); color: var(--muted); }
    .doc hr { border: 0; border-top: 1px solid var(--line); margin: 1em 0; }
    mark { color: inherit; background: var(--mark); border-radius: 3px; padding: 0 1px; }
    mark.cite { background: var(--cite); box-shadow: 0 0 0 2px var(--cite); }
    mark.cite mark.hl { background: var(--cite-hl); }
    .actions { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; font-size: 0.9em; }
    .loading, .waiting { display: flex; align-items: center; gap: 8px; margin: 0; color: var(--muted); }
    .loading::before {
      content: ""; width: 14px; height: 14px; flex: none; border-radius: 50%;
      border: 2px solid var(--line); border-top-color: var(--accent); animation: spin 0.8s linear infinite;
    }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .loading::before { animation: none; } }
    .error {
      display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px;
      margin: 0; padding: 8px 12px; border: 1px solid var(--error-line); border-radius: 10px;
      background: var(--error-bg); color: var(--error-fg); overflow-wrap: anywhere;
    }
    .error .message { flex: 1 1 14em; margin: 0; unicode-bidi: plaintext; }
    .problem { margin: 0; color: var(--error-fg); }
    .thanks { margin: 0; }
    .none { margin: 0; color: var(--muted); font-style: italic; }
    details.closest > summary { cursor: pointer; color: var(--muted); padding: 4px 0; }
    details.closest[open] > summary { margin-bottom: 8px; }
    .feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; font-size: 0.85em; color: var(--muted); }
    .feedback button.thumb { display: inline-flex; align-items: center; justify-content: center; padding: 3px 8px; }
    .feedback button.thumb[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
    .feedback svg { width: 1.15em; height: 1.15em; fill: currentColor; }
    .feedback form { flex-basis: 100%; display: flex; flex-direction: column; gap: 8px; padding: 8px 0 0; border: 0; }
    .feedback fieldset { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0; padding: 0; border: 0; }
    .feedback legend { padding: 0; margin-bottom: 4px; }
    .feedback label { display: inline-flex; align-items: center; gap: 6px; }
    .feedback textarea { min-height: 3.2em; }
    .feedback .row { display: flex; flex-wrap: wrap; gap: 8px; }
    .composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 14px 2px; border-top: 1px solid var(--soft-line); }
    textarea {
      flex: 1; min-width: 0; resize: none; font: inherit; color: inherit; background: var(--bg);
      padding: 7px 10px; border: 1px solid var(--button-line); border-radius: 8px; unicode-bidi: plaintext;
    }
    button.send { background: var(--accent); border-color: var(--accent); color: var(--on-accent); padding: 7px 18px; }
    button.send:hover { filter: brightness(1.1); }
    .foot { display: flex; gap: 10px; justify-content: space-between; margin: 0; padding: 2px 14px 8px; font-size: 0.75em; color: var(--muted); }
    .count { font-variant-numeric: tabular-nums; white-space: nowrap; }
    .count.full { color: var(--error-fg); font-weight: 650; }
    .source { flex: 1; min-height: 0; display: flex; flex-direction: column; }
    .source-head { padding: 10px 14px; border-bottom: 1px solid var(--soft-line); }
    .source-head h2 { margin: 8px 0 0; font-size: 1em; color: var(--heading); unicode-bidi: plaintext; }
    .doc {
      flex: 1; min-height: 0; overflow-y: auto; position: relative; margin: 0; padding: 14px;
      overflow-wrap: anywhere; line-height: 1.75;
    }
    .sr {
      position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0; padding: 0;
    }
    /* Touch screens: every control at least 44×44 CSS px. */
    @media (pointer: coarse) {
      button, .actions a, .feedback label { min-height: 44px; min-width: 44px; }
      .actions a { display: inline-flex; align-items: center; }
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

  /** A 24×24 icon from one constant path (aria-hidden: the button carries the name). */
  function icon(path) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    svg.append(p);
    return svg;
  }
  const THUMB_UP =
    "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";
  const THUMB_DOWN =
    "M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z";

  const fmt = (template, vars) => template.replace(/\{(\w+)\}/g, (_, key) => String(vars[key] ?? ""));
  const str = (value) => (value === null || value === undefined ? "" : String(value));
  const langCode = (lang) => (/^[a-z]{2,3}$/.test(str(lang)) ? str(lang) : null);

  /** Explicit direction for a known language code, otherwise let the browser decide. */
  function dirFor(lang) {
    const code = langCode(lang);
    if (!code || code === "und") return "auto";
    return RTL_LANGS.has(code) ? "rtl" : "ltr";
  }

  /** "ar" when the first letter is Arabic (so an Arabic question gets the Arabic font stack). */
  function scriptLang(text) {
    const first = str(text).match(/\p{L}/u);
    return first && /\p{Script=Arabic}/u.test(first[0]) ? "ar" : null;
  }

  /** A short question ("and in 2019?", "وماذا عن ٢٠١٩؟") continues the conversation's subject. */
  function isFollowUp(question) {
    const words = str(question).match(/[\p{L}\p{N}]+/gu) || [];
    return words.length <= FOLLOW_UP_MAX_WORDS;
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

  /** text[from:to] with the cited span (if any) in <mark class=cite> and highlights in <mark class=hl>. */
  function markedRange(text, from, to, cite, spans) {
    const frag = document.createDocumentFragment();
    const s = cite ? Math.max(cite[0], from) : to;
    const e = cite ? Math.min(cite[1], to) : to;
    if (e <= s) {
      frag.append(marked(text, spans, "hl", from, to));
      return frag;
    }
    frag.append(
      marked(text, spans, "hl", from, s),
      el("mark", { class: "cite" }, marked(text, spans, "hl", s, e)),
      marked(text, spans, "hl", e, to),
    );
    return frag;
  }

  const BLANK = /^[ \t\r\f\v]*$/;
  const HEADING = /^ {0,3}(#{1,6})[ \t]+/;
  const BULLET = /^[-*+•‣◦]$/;
  const ITEM = /^[ \t]{0,8}([-*+•‣◦]|[0-9٠-٩]{1,3}[.)])[ \t]+/;
  const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
  const QUOTE = /^ {0,3}>[ \t]?/;

  /**
   * The blocks of text[from:to] — headings, list items, quotes, rules and paragraphs — as offsets
   * of their content (markers like "- " or "## " left out). One pass over the lines, anchored
   * patterns only: linear in the length of the text.
   */
  function blocks(text, from, to) {
    const out = [];
    let open = null; // the paragraph, item or quote that a next non-blank line continues
    let pos = from;
    while (pos < to) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0 || nl > to) nl = to;
      const line = text.slice(pos, nl);
      const end = pos + line.trimEnd().length;
      let m;
      if (BLANK.test(line)) {
        open = null;
      } else if ((m = HEADING.exec(line))) {
        out.push({ type: "h", level: m[1].length, start: pos + m[0].length, end });
        open = null;
      } else if (line.length <= 120 && RULE.test(line)) {
        out.push({ type: "hr", start: pos, end: pos });
        open = null;
      } else if ((m = ITEM.exec(line))) {
        const number = BULLET.test(m[1]) ? null : parseInt(m[1].replace(/[٠-٩]/g, (d) => d.charCodeAt(0) - 0x660), 10);
        open = { type: "li", number, start: pos + m[0].length, end };
        out.push(open);
      } else if ((m = QUOTE.exec(line)) && !(open && open.type === "p")) {
        if (open && open.type === "quote") open.end = end;
        else out.push((open = { type: "quote", start: pos + m[0].length, end }));
      } else if (open) {
        open.end = end;
      } else {
        const lead = line.length - line.trimStart().length;
        out.push((open = { type: "p", start: pos + lead, end }));
      }
      pos = nl + 1;
    }
    return out;
  }

  /**
   * text[from:to] as elements that show its structure (lists, headings, paragraphs), each built
   * from text nodes only. `headings: false` shows headings as bold paragraphs (inside a passage).
   */
  function structured(text, from, to, { cite = null, spans = [], headings = true } = {}) {
    const frag = document.createDocumentFragment();
    let list = null;
    for (const b of blocks(text, from, to)) {
      if (b.type !== "li") list = null;
      const content = () => markedRange(text, b.start, b.end, cite, spans);
      if (b.type === "li") {
        const tag = b.number === null ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) frag.append((list = el(tag, {})));
        list.append(el("li", { value: b.number }, content()));
      } else if (b.type === "h") {
        frag.append(
          headings ? el(`h${Math.min(6, Math.max(3, b.level + 1))}`, {}, content()) : el("p", { class: "h" }, content()),
        );
      } else if (b.type === "hr") {
        frag.append(el("hr", {}));
      } else if (b.type === "quote") {
        frag.append(el("blockquote", {}, content()));
      } else {
        frag.append(el("p", {}, content()));
      }
    }
    return frag;
  }

  /** The plain words of text[from:to], one block a line, without Markdown markers (for copying). */
  function plainText(text, from, to) {
    return blocks(text, from, to)
      .filter((b) => b.type !== "hr")
      .map((b) => (b.type === "li" ? "• " : "") + text.slice(b.start, b.end))
      .join("\n");
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

  /**
   * A failure we can describe to the user. kind: "unreachable", "blocked", "interrupted",
   * "timeout", "http", "bad" or "cancelled" (never shown).
   */
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

  /** fetch() that gives up after `ms`, or when `signal` aborts. */
  async function fetchWithin(url, init, ms, signal) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort("timeout"), ms);
    const cancel = () => controller.abort("cancelled");
    if (signal) {
      if (signal.aborted) cancel();
      signal.addEventListener("abort", cancel);
    }
    try {
      return await fetch(url, { ...init, signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) throw new ServiceError(controller.signal.reason === "timeout" ? "timeout" : "cancelled");
      throw err;
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", cancel);
    }
  }

  // Constructable stylesheets also work under a strict Content-Security-Policy (no 'unsafe-inline').
  let sharedSheet = null;
  function applyStyles(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sharedSheet) {
          sharedSheet = new CSSStyleSheet();
          sharedSheet.replaceSync(STYLES);
        }
        root.adoptedStyleSheets = [sharedSheet];
        return;
      } catch {
        /* fall through to <style> */
      }
    }
    root.append(el("style", {}, STYLES));
  }

  // ---- the element ----------------------------------------------------------------------------

  class MarjaChat extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "lang", "height"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      // [{question, subject, response} | {question, subject, error: {kind, status, detail}}]; a turn
      // being asked or waiting its turn has neither.
      this._turns = [];
      this._waiting = []; // turns queued behind the one in flight
      this._inflight = null; // {turn, controller}
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
      if (name === "height") {
        this._applyHeight();
        return;
      }
      if (name === "endpoint") {
        this._cancelAll();
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

    get busy() {
      return this._inflight !== null;
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
          for (const t of this._turns) if (typeof t.subject !== "string") t.subject = t.question;
        }
      } catch {
        /* unreadable or blocked storage: start afresh */
      }
    }

    _save() {
      try {
        const done = this._turns
          .filter((t) => t.response || t.error)
          .slice(-MAX_STORED_TURNS)
          .map(({ question, subject, previous, response, error, feedback }) => ({
            question, subject, previous, response, error, feedback,
          }));
        sessionStorage.setItem(this._storageKey, JSON.stringify({ v: 2, turns: done }));
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
        class: "log", role: "log", "aria-live": "off", "aria-label": t.conversation,
        "aria-busy": String(this.busy), tabindex: "0", part: "log",
      });
      // Screen readers hear a short summary of each answer here, not the whole log.
      this._status = el("div", { class: "sr", role: "status", "aria-live": "polite", "aria-atomic": "true" });
      this._input = el("textarea", {
        rows: "2", placeholder: t.placeholder, "aria-label": t.question, maxlength: String(MAX_QUESTION),
        "aria-describedby": "hint count", enterkeyhint: "send", part: "input",
      });
      this._send = el("button", { type: "submit", class: "send", part: "send" }, t.send);
      this._form = el("form", { class: "composer", "aria-label": t.question }, this._input, this._send);
      this._count = el("span", { class: "count", id: "count", hidden: true });
      this._hint = el("p", { class: "foot" }, el("span", { id: "hint" }, t.hint), this._count);
      const newChat = el("button", { type: "button", class: "new", part: "new-conversation" }, t.newChat);

      this._back = el("button", { type: "button", class: "back" }, t.back);
      this._sourceTitle = el("h2", { id: "source-title", dir: "auto" });
      this._sourceLinks = el("div", { class: "actions" });
      this._doc = el("div", { class: "doc", role: "document", tabindex: "0", "aria-label": t.source });
      this._source = el(
        "section",
        {
          class: "source", role: "dialog", "aria-modal": "true", "aria-labelledby": "source-title",
          hidden: true, part: "source",
        },
        el("div", { class: "source-head" }, this._back, this._sourceTitle, this._sourceLinks),
        this._doc,
      );
      this._bar = el("div", { class: "bar", part: "header" },
        el("div", { class: "titles" },
          el("h2", { part: "title" }, t.title), el("p", { class: "subtitle" }, t.subtitle)),
        newChat);

      this._ui = el(
        "div",
        { class: "chat", lang: this.uiLang, dir: this.uiLang === "ar" ? "rtl" : "ltr", part: "chat" },
        this._bar, this._log, this._form, this._hint, this._source, this._status,
      );
      this._root.append(this._ui);
      this._applyHeight();
      this._renderLog();
      this._syncCount();

      this._form.addEventListener("submit", (e) => {
        e.preventDefault();
        this._ask(this._input.value);
      });
      this._input.addEventListener("input", () => {
        this._syncInputDir();
        this._syncCount();
      });
      this._syncInputDir();
      this._input.addEventListener("keydown", (e) => {
        // Enter sends, Shift+Enter is a new line; never while an IME is composing (keyCode 229).
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
          e.preventDefault();
          this._ask(this._input.value);
        }
      });
      newChat.addEventListener("click", () => this._newConversation());
      this._back.addEventListener("click", () => this._closeSource());
      this._ui.addEventListener("keydown", (e) => {
        if (this._source.hidden) return;
        if (e.key === "Escape") {
          e.preventDefault();
          this._closeSource();
        } else if (e.key === "Tab") {
          this._trapFocus(e);
        }
      });
    }

    /** `height="560px"` (or a bare number of pixels) wins over the --marja-height property. */
    _applyHeight() {
      let value = str(this.getAttribute("height")).trim();
      if (/^\d+(\.\d+)?$/.test(value)) value += "px";
      if (value && window.CSS && window.CSS.supports("height", value)) this._ui.style.setProperty("--height", value);
      else this._ui.style.removeProperty("--height");
    }

    /** dir=auto follows what is typed; an empty box would fall back to ltr, so it takes the UI's. */
    _syncInputDir() {
      this._input.setAttribute("dir", this._input.value ? "auto" : this._ui.dir);
    }

    /** The character counter appears near the limit; at the limit it says why typing stops. */
    _syncCount() {
      const n = this._input.value.length;
      const number = new Intl.NumberFormat(this.uiLang);
      const near = n >= COUNT_FROM;
      const full = n >= MAX_QUESTION;
      this._count.hidden = !near;
      this._count.classList.toggle("full", full);
      const count = fmt(this._t.count, { n: number.format(n), max: number.format(MAX_QUESTION) });
      this._count.textContent = full ? `${count} · ${fmt(this._t.tooLong, { max: number.format(MAX_QUESTION) })}` : count;
      if (full && !this._wasFull) this._announce(fmt(this._t.tooLong, { max: number.format(MAX_QUESTION) }));
      this._wasFull = full;
    }

    _announce(message) {
      // Cleared first, so the same words twice in a row are announced twice.
      this._status.textContent = "";
      setTimeout(() => {
        this._status.textContent = message;
      }, 50);
    }

    _renderLog() {
      this._log.replaceChildren();
      if (!this._turns.length) this._log.append(el("p", { class: "intro" }, this._t.intro));
      for (const turn of this._turns) {
        try {
          turn.node = this._turnNode(turn);
          this._log.append(turn.node);
        } catch {
          /* a damaged stored turn: skip it rather than lose the whole conversation */
        }
      }
      this._log.scrollTop = this._log.scrollHeight;
    }

    _turnNode(turn) {
      const node = el("div", { class: "turn" },
        el("span", { class: "sr" }, this._t.youAsked),
        el("p", { class: "question", dir: "auto", part: "question", lang: scriptLang(turn.question) }, turn.question),
        el("div", { class: "answer", part: "answer" }));
      this._fillAnswer(node, turn);
      return node;
    }

    _fillAnswer(node, turn) {
      const t = this._t;
      const slot = node.querySelector(".answer");
      const response = turn.response;
      if (turn.error) {
        slot.replaceChildren(this._errorNode(turn.error, () => this._retry(turn)));
      } else if (!response) {
        slot.replaceChildren(
          turn === (this._inflight && this._inflight.turn)
            ? el("p", { class: "loading" }, t.loading)
            : el("p", { class: "waiting" }, t.waiting),
        );
      } else if (!response.passages.length) {
        slot.replaceChildren(el("p", { class: "none" }, t.noAnswer), this._feedbackNode(turn));
      } else {
        const answered = response.answered !== false;
        const list = el("ol", { class: "passages", "aria-label": answered ? t.passages : t.closest });
        // Nearest passages that do not answer keep no highlights: nothing in them answers.
        response.passages.forEach((p, i) => list.append(this._passageNode(p, i + 1, answered)));
        if (!answered) {
          // Nothing answers: say so, and keep the nearest passages out of the way.
          const closest = el("details", { class: "closest" }, el("summary", {}, t.closest), list);
          slot.replaceChildren(el("p", { class: "none" }, t.noAnswer), closest, this._feedbackNode(turn));
        } else {
          slot.replaceChildren(list, this._feedbackNode(turn));
        }
      }
    }

    /** The one-line summary a screen reader hears when an answer arrives. */
    _summary(turn) {
      const t = this._t;
      if (turn.error) return this._errorMessage(turn.error);
      const passages = turn.response.passages;
      if (!passages.length || turn.response.answered === false) return t.noAnswer;
      const forms = PASSAGE_COUNT[this.uiLang];
      let category = "other";
      try {
        category = new Intl.PluralRules(this.uiLang).select(passages.length);
      } catch {
        /* very old browser: the general form */
      }
      const count = fmt(forms[category] || forms.other, { n: passages.length });
      const titles = [...new Set(passages.map((p) => str((p.citation || {}).title || (p.citation || {}).doc_id)))];
      const named = titles.length > 2 ? [titles[0], fmt(t.more, { n: titles.length - 1 })] : titles;
      return fmt(t.found, { count, titles: named.join(t.and) });
    }

    _errorMessage(error) {
      const t = this._t;
      if (error.kind === "http") return fmt(t.http, { status: error.status, detail: error.detail || "" });
      if (error.kind === "blocked") {
        return fmt(this.getAttribute("key") ? t.blockedKey : t.blocked, { origin: location.origin });
      }
      return t[error.kind] || t.bad;
    }

    _errorNode(error, retry) {
      const node = el("div", { class: "error", part: "error" },
        el("p", { class: "message", dir: "auto" }, this._errorMessage(error)));
      if (retry) {
        const button = el("button", { type: "button", class: "retry" }, this._t.retry);
        button.addEventListener("click", retry);
        node.append(button);
      }
      return node;
    }

    _passageNode(p, n, highlight = true) {
      const t = this._t;
      const c = p.citation || {};
      const text = str(p.text);
      const title = str(c.title || c.doc_id);
      // Highlights are document offsets: relative to the passage they start at citation.start.
      const toUnit = unitIndexer(text);
      const spans = highlight
        ? (p.highlights || []).map((h) => [toUnit(h.start - c.start), toUnit(h.end - c.start)])
        : [];

      const meta = [];
      if (typeof p.answers === "boolean") {
        const strong = p.answers; // the service's calibrated threshold, never a raw score here
        meta.push(el("span", { class: `tag ${strong ? "strong" : "weak"}` }, strong ? t.strong : t.weak));
      }
      if (c.page) meta.push(el("span", {}, fmt(t.page, { n: c.page })));
      const showSource = el("button", {
        type: "button", class: "show-source", "aria-label": fmt(t.showSourceOf, { title, n }),
      }, t.showSource);
      showSource.addEventListener("click", () => this._openSource(p, showSource));
      const copy = el("button", { type: "button", class: "copy", "aria-label": fmt(t.copyOf, { n }) }, t.copy);
      copy.addEventListener("click", () => this._copy(p, copy));
      const url = c.source_url ? safeUrl(c.source_url, this.endpoint) : null;

      return el("li", {
        class: "passage", part: "passage", "data-doc-id": str(c.doc_id), "data-start": c.start, "data-end": c.end,
      },
        el("h3", { class: "title", dir: "auto", part: "passage-title" }, title),
        meta.length ? el("div", { class: "meta" }, ...meta) : null,
        el("div", { class: "text", dir: dirFor(p.lang), lang: langCode(p.lang), part: "passage-text" },
          structured(text, 0, text.length, { spans, headings: false })),
        el("div", { class: "actions" },
          showSource,
          copy,
          url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "original" },
            t.openOriginal) : null),
      );
    }

    /** "passage text — Title, p. 3, https://…" on the clipboard. */
    async _copy(p, button) {
      const t = this._t;
      const c = p.citation || {};
      const text = str(p.text);
      const where = [str(c.title || c.doc_id)];
      if (c.page) where.push(fmt(t.pageShort, { n: c.page }));
      const url = c.source_url ? safeUrl(c.source_url, this.endpoint) : null;
      if (url) where.push(url);
      const citation = `${plainText(text, 0, text.length)} — ${where.join(this.uiLang === "ar" ? "، " : ", ")}`;
      let ok = false;
      try {
        await navigator.clipboard.writeText(citation);
        ok = true;
      } catch {
        // No clipboard API (insecure page, permission refused): the older way.
        const area = el("textarea", { class: "sr", "aria-hidden": "true", tabindex: "-1" });
        area.value = citation;
        this._ui.append(area);
        area.select();
        try {
          ok = document.execCommand("copy");
        } catch {
          ok = false;
        }
        area.remove();
        button.focus();
      }
      button.textContent = ok ? t.copied : t.copy;
      this._announce(ok ? t.copied : t.copyFailed);
      clearTimeout(button._reset);
      button._reset = setTimeout(() => {
        button.textContent = t.copy;
      }, 2000);
    }

    // -- feedback --

    _feedbackNode(turn) {
      const t = this._t;
      const box = el("div", { class: "feedback", part: "feedback" });
      if (turn.feedback) {
        box.append(el("p", { class: "thanks" }, t.thanks));
        return box;
      }
      const up = el("button", { type: "button", class: "thumb up", "aria-pressed": "false", "aria-label": t.up, title: t.up },
        icon(THUMB_UP));
      const down = el("button", {
        type: "button", class: "thumb down", "aria-pressed": "false", "aria-label": t.down, title: t.down,
      }, icon(THUMB_DOWN));
      box.append(el("span", {}, t.helpful), up, down);
      const open = (verdict) => {
        up.setAttribute("aria-pressed", String(verdict === "up"));
        down.setAttribute("aria-pressed", String(verdict === "down"));
        const old = box.querySelector("form");
        if (old) old.remove();
        const form = this._feedbackForm(turn, verdict, () => {
          form.remove();
          up.setAttribute("aria-pressed", "false");
          down.setAttribute("aria-pressed", "false");
          (verdict === "up" ? up : down).focus();
        });
        box.append(form);
        const first = form.querySelector("input:checked, textarea");
        if (first) first.focus();
      };
      up.addEventListener("click", () => open("up"));
      down.addEventListener("click", () => open("down"));
      return box;
    }

    _feedbackForm(turn, verdict, cancel) {
      const t = this._t;
      const passages = turn.response.passages;
      const answered = turn.response.answered !== false && passages.length > 0;
      const form = el("form", { class: "feedback-form", "aria-label": verdict === "up" ? t.up : t.down });
      const id = `fb-${Math.random().toString(36).slice(2, 10)}`;
      if (verdict === "up" && answered && passages.length > 1) {
        const set = el("fieldset", {}, el("legend", {}, t.which));
        passages.forEach((p, i) => {
          set.append(el("label", {},
            el("input", { type: "radio", name: `${id}-which`, value: String(i), checked: i === 0 }),
            fmt(t.passageN, { n: i + 1 })));
        });
        form.append(set);
      }
      const comment = el("textarea", { id: `${id}-comment`, rows: "2", maxlength: String(MAX_COMMENT), dir: "auto" });
      const sendButton = el("button", { type: "submit", class: "send" }, t.sendFeedback);
      const cancelButton = el("button", { type: "button", class: "cancel" }, t.cancel);
      const problem = el("p", { class: "problem", role: "alert", hidden: true });
      form.append(el("label", { for: `${id}-comment` }, t.comment), comment,
        el("div", { class: "row" }, sendButton, cancelButton), problem);
      cancelButton.addEventListener("click", cancel);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (form.dataset.sending) return;
        form.dataset.sending = "1";
        sendButton.setAttribute("aria-disabled", "true");
        const chosen = form.querySelector("input[type=radio]:checked");
        const approved = verdict === "up" && answered ? (chosen ? Number(chosen.value) : 0) : null;
        const r = turn.response;
        try {
          await this._fetchJson("/feedback", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
              question: turn.question,
              previous_question: turn.previous || null,
              lang: langCode(r.lang || r.language),
              verdict,
              comment: comment.value.trim() || null,
              passages: r.passages.map((p) => ({
                doc_id: str((p.citation || {}).doc_id),
                start: (p.citation || {}).start,
                end: (p.citation || {}).end,
              })),
              approved,
              answered: typeof r.answered === "boolean" ? r.answered : null,
              index_version: typeof r.version === "string" ? r.version : null,
            }),
          });
        } catch (err) {
          delete form.dataset.sending;
          sendButton.removeAttribute("aria-disabled");
          problem.textContent = fmt(t.feedbackFailed, { message: this._errorMessage(err) });
          problem.hidden = false;
          return;
        }
        turn.feedback = verdict;
        this._save();
        const box = form.closest(".feedback");
        const fresh = this._feedbackNode(turn);
        box.replaceWith(fresh);
        this._announce(t.thanks);
      });
      return form;
    }

    // -- talking to the service --

    async _fetchJson(path, init = {}, signal = null) {
      const headers = { Accept: "application/json", ...(init.headers || {}) };
      const key = this.getAttribute("key");
      if (key) headers["X-Widget-Key"] = key;
      let res;
      try {
        res = await fetchWithin(this.endpoint + path, { ...init, headers }, this.timeoutMs, signal);
      } catch (err) {
        if (err instanceof ServiceError) throw err;
        // A refused connection and a CORS refusal look alike from here: ask the service.
        throw new ServiceError(await this._diagnose());
      }
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new ServiceError("http", res.status, detailOf(body) || res.statusText);
      if (!body || typeof body !== "object") throw new ServiceError("bad");
      return body;
    }

    /**
     * Why a request failed without an HTTP answer. A CORS request to /health that succeeds means
     * the service is up and lets this page in (the connection was interrupted); one that fails
     * while an opaque (no-cors) request succeeds means the service is up but refuses this page's
     * origin; both failing means it cannot be reached.
     */
    async _diagnose() {
      const health = `${this.endpoint}/health`;
      const probe = (mode) =>
        fetchWithin(health, { mode, cache: "no-store", credentials: "omit" }, PROBE_TIMEOUT_MS).then(
          () => true,
          () => false,
        );
      if (await probe("cors")) return "interrupted";
      return (await probe("no-cors")) ? "blocked" : "unreachable";
    }

    _ask(raw) {
      const question = str(raw).trim();
      if (!question) return;
      if (question.length > MAX_QUESTION) {
        this._syncCount();
        this._announce(fmt(this._t.tooLong, { max: MAX_QUESTION }));
        return;
      }
      if (this._waiting.length >= MAX_WAITING) {
        this._announce(this._t.queueFull);
        return;
      }
      // A failed question is replaced by the next one: one error at a time, never a pile.
      const last = this._turns[this._turns.length - 1];
      if (last && last.error) {
        this._turns.pop();
        if (last.node) last.node.remove();
      }
      this._closeSource();
      if (!this._turns.length) this._log.replaceChildren(); // drop the intro
      const turn = { question };
      this._turns.push(turn);
      turn.node = this._turnNode(turn);
      this._log.append(turn.node);
      this._log.scrollTop = this._log.scrollHeight;
      this._input.value = "";
      this._syncInputDir();
      this._syncCount();
      if (this.busy) {
        this._waiting.push(turn);
        this._fillAnswer(turn.node, turn);
        this._announce(this._t.waiting);
      } else {
        this._run(turn);
      }
    }

    _retry(turn) {
      if (this.busy || !turn.error) return;
      delete turn.error;
      this._run(turn);
    }

    async _run(turn) {
      const controller = new AbortController();
      this._inflight = { turn, controller };
      this._setBusy(true);
      // Short follow-ups keep the subject of the conversation: "and in 2023?" after "and in 2019?"
      // is still about the question that started the chain.
      const index = this._turns.indexOf(turn);
      const prior = index > 0 ? this._turns[index - 1] : null;
      turn.previous = prior ? prior.subject : null;
      turn.subject = prior && isFollowUp(turn.question) ? prior.subject : turn.question;
      this._fillAnswer(turn.node, turn);
      this._announce(this._t.loading);

      try {
        const response = await this._fetchJson("/ask", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ question: turn.question, top_k: this.topK, previous_question: turn.previous }),
        }, controller.signal);
        if (!Array.isArray(response.passages)) throw new ServiceError("bad");
        turn.response = response;
      } catch (err) {
        turn.error = { kind: err.kind || "bad", status: err.status || 0, detail: str(err.detail) };
      }
      if (controller.signal.aborted) return; // a new conversation was started meanwhile
      this._inflight = null;
      const node = turn.node;
      if (node && node.isConnected) this._fillAnswer(node, turn);
      else this._renderLog(); // the widget was re-rendered (lang changed) meanwhile
      this._save();
      this._announce(this._summary(turn));
      const next = this._waiting.shift();
      if (next) {
        this._run(next);
      } else {
        this._setBusy(false);
      }
      const shown = turn.node;
      if (shown && shown.isConnected) this._log.scrollTop = Math.max(0, shown.offsetTop - 8); // the answer's start
      // Give focus back for the next question (or to Retry), unless the user has moved on to the host page.
      const active = document.activeElement;
      if (!next && (!active || active === document.body || active === this)) {
        const retry = turn.error && shown ? shown.querySelector("button.retry") : null;
        (retry || this._input).focus({ preventScroll: true });
      }
    }

    _setBusy(busy) {
      this._log.setAttribute("aria-busy", String(busy));
    }

    /** Cancel the answer in flight and the questions waiting. */
    _cancelAll() {
      if (this._inflight) this._inflight.controller.abort();
      this._inflight = null;
      this._waiting = [];
      if (this._log) this._setBusy(false);
    }

    _newConversation() {
      this._cancelAll();
      this._turns = [];
      this._save();
      this._closeSource();
      this._renderLog();
      this._announce(this._t.cleared);
      this._input.focus();
    }

    /**
     * A document's text as it was in the index version the citation came from (while the service
     * keeps that version), else its current text. Cached per document and version.
     */
    _document(docId, version) {
      const pinned = typeof version === "string" && version ? version : "";
      const cacheKey = `${docId}\u0000${pinned}`;
      if (!this._docs.has(cacheKey)) {
        const path = `/documents/${encodeURIComponent(docId)}`;
        const promise = pinned
          ? this._fetchJson(`${path}?version=${encodeURIComponent(pinned)}`).catch((err) => {
              // 410: that version was pruned; 404/422: a service that does not know it.
              if (err instanceof ServiceError && [404, 410, 422].includes(err.status)) {
                return this._document(docId, "");
              }
              throw err;
            })
          : this._fetchJson(path);
        promise.catch(() => this._docs.delete(cacheKey)); // retry next time
        this._docs.set(cacheKey, promise);
      }
      return this._docs.get(cacheKey);
    }

    // -- the source view: a modal dialog with the whole document, the cited span marked --

    async _openSource(p, opener) {
      const t = this._t;
      const c = p.citation || {};
      const token = ++this._sourceToken;
      this._opener = opener;
      this._sourceTitle.textContent = str(c.title || c.doc_id);
      this._sourceLinks.replaceChildren();
      this._doc.removeAttribute("dir");
      this._doc.removeAttribute("lang");
      this._doc.replaceChildren(el("p", { class: "loading" }, t.loadingDoc));
      for (const part of [this._log, this._form, this._hint]) part.hidden = true;
      this._bar.inert = true;
      this._source.hidden = false;
      this._back.focus();

      let doc;
      try {
        doc = await this._document(str(c.doc_id), c.version);
      } catch (err) {
        if (token === this._sourceToken) {
          this._doc.replaceChildren(this._errorNode(err, () => this._openSource(p, opener)));
        }
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
      this._doc.setAttribute("dir", dirFor(doc.lang));
      if (langCode(doc.lang)) this._doc.setAttribute("lang", doc.lang);
      if (end > start) {
        this._doc.replaceChildren(structured(text, 0, text.length, { cite: [start, end], spans }));
      } else {
        this._doc.replaceChildren(el("p", { class: "error" }, t.moved), structured(text, 0, text.length));
      }
      const url = doc.source_url ? safeUrl(doc.source_url, this.endpoint) : null;
      if (url) {
        this._sourceLinks.append(
          el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "original" }, t.openOriginal),
        );
      }
      // Scroll only the document box (scrollIntoView would also scroll the host page).
      const cite = this._doc.querySelector("mark.cite");
      if (cite) {
        const top = cite.getBoundingClientRect().top - this._doc.getBoundingClientRect().top + this._doc.scrollTop;
        this._doc.scrollTop = Math.max(0, top - this._doc.clientHeight / 4);
      }
    }

    /** Tab and Shift+Tab cycle inside the open source dialog. */
    _trapFocus(e) {
      const focusable = [...this._source.querySelectorAll("button, a[href], [tabindex='0']")].filter(
        (node) => !node.closest("[hidden]") && node.getClientRects().length,
      );
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = this._root.activeElement;
      if (e.shiftKey && (active === first || !this._source.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !this._source.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    }

    _closeSource() {
      if (!this._source || this._source.hidden) return;
      this._sourceToken++;
      this._source.hidden = true;
      this._bar.inert = false;
      for (const part of [this._log, this._form, this._hint]) part.hidden = false;
      const opener = this._opener;
      this._opener = null;
      (opener && opener.isConnected ? opener : this._input).focus();
    }
  }

  customElements.define(TAG, MarjaChat);
})();
