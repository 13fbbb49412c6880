// 数据报送平台（控制台）的页面脚本：调用 /api 接口，不依赖任何框架。
// The reporting console's script. Every page runs `start`, which signs the user in (or sends
// them to the login page) and then runs the page's own part, chosen by `data-page`.
"use strict";

(function () {
  const root = document.getElementById("console");
  if (!root) return;
  const pageName = root.dataset.page;

  /** What `/api/me` answered: `{user, unit, role, csrf}`. */
  let me = null;
  /** `console/datasets.json`: the datasets with their fields. */
  let datasets = [];

  const STATE_TEXT = { active: "正常", revoked: "已撤销", deleted: "已删除数据" };
  const UPLOAD_STATUS_TEXT = { checked: "已导入", failed: "无法导入", deleted: "已删除" };

  // ---- small helpers ------------------------------------------------------------------

  /** Creates an element: `el("td", {class: "num"}, "12")`. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);

  function datasetTitle(id) {
    const d = datasets.find((x) => x.id === id);
    return d ? d.title : id;
  }

  /** A time as people in China read it: 2026-03-01 14:05. */
  function timeText(value) {
    if (!value) return "";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    const china = new Date(date.getTime() + 8 * 3600 * 1000);
    return china.toISOString().slice(0, 16).replace("T", " ");
  }

  /**
   * Who did something: the name the API gives (`username` of an upload), else by user id: the
   * signed-in user, or on the admin page a name from the user list.
   */
  function userName(id, names, given) {
    if (given) return given;
    if (id === null || id === undefined) return "—";
    if (me && me.user && me.user.id === id) return me.user.username;
    return (names && names[id]) || "用户 " + id;
  }

  function percent(share) {
    return share === null || share === undefined ? "—" : (share * 100).toFixed(1) + "%";
  }

  /** Shows a page-wide message; `ok` for a success. */
  function say(text, ok) {
    const box = $("console-message");
    box.textContent = text;
    box.classList.toggle("ok", Boolean(ok));
    box.hidden = !text;
  }

  /** An error of the API, with the server's Chinese message. */
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `请求失败（HTTP ${status}）`);
      this.status = status;
      this.code = body && body.code;
      this.body = body || {};
    }
  }

  /** Calls the API; state-changing requests carry the session's CSRF token. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && me) headers["X-CSRF-Token"] = me.csrf;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, { message: "无法连接服务器，请检查网络后重试" });
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) data = await response.json().catch(() => null);
    if (!response.ok) {
      if (response.status === 401 && pageName !== "login") toLogin();
      throw new ApiError(response.status, data);
    }
    return data;
  }

  function toLogin() {
    const next = location.pathname + location.search;
    location.href = "/console/login.html?next=" + encodeURIComponent(next);
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== "" && value !== null && value !== undefined) search.set(key, value);
    }
    const text = search.toString();
    return text ? "?" + text : "";
  }

  // ---- confirmation and reason dialog ---------------------------------------------------

  /**
   * Asks before an action. With `reason`, a required text is asked for too; resolves to the
   * reason (or `true`), or `null` when cancelled.
   */
  function ask({ title, text, ok, reason, reasonLabel, input }) {
    const dialog = $("ask");
    const form = $("ask-form");
    const box = $("ask-reason-box");
    // A password is asked for in a password box, any other text in a text area.
    const password = input === "password";
    const area = password ? $("ask-password") : $("ask-reason");
    $("ask-reason").hidden = password;
    $("ask-password").hidden = !password;
    $("ask-reason-label").htmlFor = area.id;
    const error = $("ask-reason-error");
    $("ask-title").textContent = title;
    $("ask-text").textContent = text || "";
    $("ask-ok").textContent = ok || "确定";
    box.hidden = !reason;
    $("ask-reason-label").textContent = reasonLabel || "撤销原因（必填）";
    area.value = "";
    error.textContent = "";
    return new Promise((resolve) => {
      function onSubmit(event) {
        const submitter = event.submitter;
        if (submitter && submitter.value === "ok" && reason && !area.value.trim()) {
          event.preventDefault();
          error.textContent = "请填写" + (reasonLabel || "撤销原因").replace("（必填）", "");
          area.focus();
          return;
        }
        dialog.returnValue = submitter ? submitter.value : "cancel";
      }
      function onClose() {
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "ok") resolve(null);
        else resolve(reason ? area.value.trim() : true);
      }
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", onClose);
      dialog.returnValue = "cancel";
      dialog.showModal();
      (reason ? area : $("ask-cancel")).focus();
    });
  }

  // ---- sign-in ---------------------------------------------------------------------------

  function showMe() {
    const unit = document.querySelector("[data-me-unit]");
    const user = document.querySelector("[data-me-user]");
    if (unit) unit.textContent = me.unit ? me.unit.name : "";
    if (user) user.textContent = (me.user ? me.user.username : "") + (me.role === "admin" ? "（管理员）" : "");
    const logout = $("logout");
    if (logout) {
      logout.hidden = false;
      logout.addEventListener("click", async () => {
        try {
          await api("POST", "/api/auth/logout");
        } catch (e) {
          // Signed out already or the session expired: the login page follows either way.
        }
        location.href = "/console/login.html";
      });
    }
    for (const item of document.querySelectorAll("[data-admin-only]")) {
      item.hidden = me.role !== "admin";
    }
  }

  async function loadDatasets() {
    const response = await fetch("/console/datasets.json", { credentials: "same-origin" });
    if (!response.ok) throw new Error("无法读取数据类型定义（/console/datasets.json）");
    datasets = await response.json();
  }

  async function start() {
    const page = PAGES[pageName];
    if (pageName === "login") {
      page();
      return;
    }
    try {
      me = await api("GET", "/api/me");
    } catch (e) {
      if (e.status !== 401) say(e.message);
      return;
    }
    showMe();
    try {
      await loadDatasets();
      if (page) await page();
    } catch (e) {
      say(e.message);
    }
  }

  // ---- login page ------------------------------------------------------------------------

  function loginPage() {
    const form = $("login-form");
    const error = $("login-error");
    const show = (text) => {
      error.textContent = text;
      error.hidden = !text;
    };
    // The API answers only on the extranet: say so before anyone types a password.
    fetch("/api/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(async (response) => {
        if (response.status === 403) {
          const body = await response.json().catch(() => ({}));
          if (body.code === "network_denied") show("请通过政务外网访问：" + body.message);
        } else if (response.ok) {
          const body = await response.json();
          show("");
          const note = el("p", { class: "note" }, `您已作为 ${body.user.username} 登录，`,
            el("a", { href: landing(body) }, "进入平台"), "。");
          form.after(note);
        }
      })
      .catch(() => {});

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const username = $("username").value.trim();
      const password = $("password").value;
      if (!username || !password) {
        show(!username ? "请输入用户名" : "请输入密码");
        (!username ? $("username") : $("password")).focus();
        return;
      }
      show("");
      $("login-submit").disabled = true;
      try {
        const body = await api("POST", "/api/auth/login", { username, password });
        location.href = landing(body);
      } catch (e) {
        let text = e.message;
        if (e.code === "network_denied") text = "请通过政务外网访问：" + e.message;
        show(text);
        $("password").select();
        $("password").focus();
      } finally {
        $("login-submit").disabled = false;
      }
    });
  }

  /** Where a signed-in user goes: the page asked for, the admin page, or 双公示. */
  function landing(body) {
    const next = new URLSearchParams(location.search).get("next");
    if (next && next.startsWith("/console/") && !next.startsWith("/console/login")) return next;
    return body.role === "admin" ? "/console/admin.html" : "/console/sgs.html";
  }

  // ---- the check report ------------------------------------------------------------------

  /** Renders an upload's report (the answer of `POST /api/uploads`) into `container`. */
  function renderReport(container, answer) {
    container.replaceChildren();
    const section = $("report-section");
    if (section) section.hidden = false;

    if (answer.code && !answer.issues) {
      container.append(el("p", { class: "console-message" }, "文件无法检查：" + answer.message));
      if (answer.id) container.append(downloadLinks({ id: answer.id, invalid_count: 0 }));
      return;
    }

    const title = datasetTitle(answer.dataset);
    container.append(
      el("p", {},
        `上报编号 ${answer.id}，${title}，文件“${answer.file_name || answer.file}”`,
        answer.sheet ? `，工作表“${answer.sheet}”，表头在第 ${answer.header_row} 行` : "",
        answer.encoding ? `，编码 ${answer.encoding}` : "",
        "。"),
    );
    if (answer.repeated) {
      container.append(el("p", { class: "notice" },
        "这个文件以前已经上传过，以下是第一次上传的结果，本次没有重复导入。"));
    }
    const item = (label, value, cls) =>
      el("li", { class: cls || null }, label, el("strong", {}, String(value ?? 0)));
    container.append(
      el("ul", { class: "summary", "aria-label": "校验汇总" },
        item("总行数", answer.rows),
        item("通过行数", answer.valid),
        item("错误行数", answer.invalid, answer.invalid ? "bad" : ""),
        item("警告数", answer.warnings, answer.warnings ? "warn" : ""),
        item("新导入", answer.imported),
        item("更新", answer.updated),
        item("重复（未变化）", answer.duplicates)),
    );

    const issues = answer.issues || [];
    if (answer.invalid > 0) {
      container.append(el("p", {},
        el("a", { href: `/api/uploads/${answer.id}/errors.xlsx`, download: "", "data-errors-link": "" },
          "下载错误行（Excel）"),
        "：只包含出错的行，“错误原因”列写明了问题，改好后可直接上传。"));
    }
    if (issues.length === 0) {
      container.append(el("p", { class: "console-message ok" }, "全部行通过校验。"));
      return;
    }
    const rows = issues.map((issue) =>
      el("tr", { class: "issue-" + issue.severity },
        el("td", { class: "num" }, issue.row || "—"),
        el("td", {}, issue.field),
        el("td", {},
          el("span", { class: "severity-" + issue.severity }, issue.severity === "warning" ? "警告" : "错误"),
          "：", issue.message),
        el("td", {}, issue.value)));
    container.append(
      el("div", { class: "table-scroll" },
        el("table", { id: "issues" },
          el("caption", {}, `问题 ${issues.length} 个（行号即 Excel 中的行号）`),
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "行号"), el("th", { scope: "col" }, "列名"),
            el("th", { scope: "col" }, "问题说明"), el("th", { scope: "col" }, "填写的值"))),
          el("tbody", {}, rows))),
    );
  }

  function downloadLinks(upload) {
    return el("span", { class: "downloads" },
      el("a", { href: `/api/uploads/${upload.id}/file`, download: "" }, "下载原文件"),
      upload.invalid_count > 0 ? " · " : "",
      upload.invalid_count > 0
        ? el("a", { href: `/api/uploads/${upload.id}/errors.xlsx`, download: "" }, "下载错误行")
        : null);
  }

  // ---- uploading -------------------------------------------------------------------------

  /** Sends the form with XMLHttpRequest, so that a long upload shows its progress. */
  function sendUpload(formData, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/uploads");
      xhr.setRequestHeader("X-CSRF-Token", me.csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.upload.addEventListener("load", () => onProgress(1));
      xhr.addEventListener("load", () => {
        const body = xhr.response || {};
        if (xhr.status === 401) toLogin();
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else if (xhr.status === 422 && body.id) resolve(body);
        else reject(new ApiError(xhr.status, body));
      });
      xhr.addEventListener("error", () =>
        reject(new ApiError(0, { message: "上传中断，请检查网络后重试" })));
      xhr.send(formData);
    });
  }

  /** PUTs `file` as a presigned request describes it (straight to the object store). */
  function sendDirect(presigned, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(presigned.method || "PUT", presigned.url);
      for (const [name, value] of Object.entries(presigned.headers || {})) {
        if (name.toLowerCase() !== "host") xhr.setRequestHeader(name, value);
      }
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new ApiError(xhr.status, { message: `文件直传失败（${xhr.status}），请稍后重试` }));
      });
      xhr.addEventListener("error", () =>
        reject(new ApiError(0, { message: "文件直传中断，请检查网络后重试" })));
      xhr.send(file);
    });
  }

  /**
   * A file above the request limit: its SHA-256, a presigned URL, the PUT, then the check
   * (`/api/uploads/complete`). Where objects are kept locally the presign step says so.
   */
  async function uploadDirect(dataset, file, onProgress) {
    if (!(window.crypto && crypto.subtle)) {
      throw new ApiError(0, { message: "大于 4 MB 的文件需要通过 HTTPS 访问平台后上传，或拆分成几个较小的文件" });
    }
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    const request = { dataset, file_name: file.name, sha256, size: file.size };
    const presigned = await api("POST", "/api/uploads/presign", request);
    await sendDirect(presigned, file, onProgress);
    onProgress(1);
    try {
      return await api("POST", "/api/uploads/complete", request);
    } catch (e) {
      if (e.status === 422 && e.body && e.body.id) return e.body;
      throw e;
    }
  }

  function uploadForm(onDone) {
    const form = $("upload-form");
    if (!form) return;
    const error = $("upload-error");
    const box = $("upload-progress-box");
    const bar = $("upload-progress");
    const text = $("upload-progress-text");
    const label = $("upload-progress-label");
    const fail = (message, focus) => {
      error.textContent = message;
      error.hidden = !message;
      if (focus) focus.focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const dataset = $("upload-dataset").value;
      const file = $("upload-file").files[0];
      if (!dataset) return fail("请选择数据类型", $("upload-dataset"));
      if (!file) return fail("请选择要上传的文件", $("upload-file"));
      const direct = file.size > 4 * 1024 * 1024;
      fail("");
      const data = new FormData();
      data.append("dataset", dataset);
      data.append("file", file, file.name);
      $("upload-submit").disabled = true;
      box.hidden = false;
      bar.value = 0;
      label.textContent = "正在上传";
      text.textContent = "0%";
      try {
        const progress = (share) => {
          bar.value = Math.round(share * 100);
          text.textContent = Math.round(share * 100) + "%";
          if (share >= 1) {
            label.textContent = "正在校验和导入";
            text.textContent = "请稍候，不要关闭页面";
            bar.removeAttribute("value");
          }
        };
        const answer = direct ? await uploadDirect(dataset, file, progress) : await sendUpload(data, progress);
        box.hidden = true;
        renderReport($("report"), answer);
        $("report-title").focus();
        form.reset();
        if (onDone) await onDone();
      } catch (e) {
        box.hidden = true;
        fail(e.message);
      } finally {
        $("upload-submit").disabled = false;
      }
    });
  }

  // ---- the upload list -------------------------------------------------------------------

  /**
   * The upload list with its actions. `source` returns `{items, next_cursor}` for a cursor;
   * `admin` adds the unit column.
   */
  function uploadList(container, source, options) {
    const opts = options || {};
    let cursors = [null];
    let units = opts.units || {};
    let users = opts.users || {};

    async function load(index) {
      let page;
      try {
        page = await source(cursors[index]);
      } catch (e) {
        container.replaceChildren(el("p", { class: "console-message" }, e.message));
        return;
      }
      cursors = cursors.slice(0, index + 1);
      if (page.next_cursor !== null && page.next_cursor !== undefined) cursors.push(page.next_cursor);
      render(page.items, index);
    }

    function statusBadge(upload) {
      if (upload.status === "checked" && upload.invalid_count > 0) {
        return el("span", { class: "badge partial" }, "部分有误");
      }
      if (upload.status === "checked") return el("span", { class: "badge checked" }, "全部通过");
      return el("span", { class: "badge " + upload.status }, UPLOAD_STATUS_TEXT[upload.status] || upload.status);
    }

    function render(items, index) {
      const head = ["上传时间", "编号"];
      if (opts.admin) head.push("单位");
      head.push("数据类型", "文件名", "经办人", "总行数", "导入", "更新", "错误行", "状态", "操作");
      const rows = items.map((upload) => {
        const withdrawn = Boolean(upload.records_withdrawn_at);
        const actions = el("td", { class: "actions" },
          el("button", { type: "button", class: "small secondary", onclick: () => showReport(upload) },
            "查看报告"),
          downloadLinks(upload));
        if (!opts.admin && upload.status !== "deleted") {
          actions.append(
            el("button", {
              type: "button", class: "small danger", disabled: withdrawn,
              "aria-label": `删除数据：上报 ${upload.id}`,
              onclick: () => withdraw(upload),
            }, withdrawn ? "数据已删除" : "删除数据"),
            el("button", {
              type: "button", class: "small danger",
              "aria-label": `删除：上报 ${upload.id}`,
              onclick: () => remove(upload),
            }, "删除"));
        }
        const cells = [el("td", {}, timeText(upload.created_at)), el("td", { class: "num" }, upload.id)];
        if (opts.admin) cells.push(el("td", {}, units[upload.unit_id] || upload.unit_id));
        cells.push(
          el("td", {}, datasetTitle(upload.dataset)),
          el("td", {}, upload.file_name),
          el("td", {}, userName(upload.user_id, users, upload.username)),
          el("td", { class: "num" }, upload.row_count),
          el("td", { class: "num" }, upload.imported_count),
          el("td", { class: "num" }, upload.updated_count),
          el("td", { class: "num" }, upload.invalid_count),
          el("td", {}, statusBadge(upload), withdrawn ? el("span", { class: "badge deleted" }, "数据已撤回") : ""),
          actions);
        return el("tr", { "data-upload": upload.id }, cells);
      });
      const table = items.length
        ? el("div", { class: "table-scroll" },
          el("table", { class: "uploads" },
            el("caption", {}, opts.caption || "上报列表"),
            el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
            el("tbody", {}, rows)))
        : el("p", { class: "note" }, "没有上报记录。");
      const pager = el("nav", { class: "pager", "aria-label": "翻页" },
        index > 0 ? el("button", { type: "button", class: "secondary", onclick: () => load(index - 1) }, "上一页") : el("span"),
        cursors.length > index + 1
          ? el("button", { type: "button", class: "secondary", onclick: () => load(index + 1) }, "下一页")
          : el("span"));
      container.replaceChildren(table, pager);
    }

    async function showReport(upload) {
      try {
        const body = await api("GET", `/api/uploads/${upload.id}`);
        const answer = body.result || Object.assign({}, body.report, body);
        if (!answer.file_name) answer.file_name = upload.file_name;
        renderReport($("report"), answer);
        $("report-title").focus();
      } catch (e) {
        say(e.message);
      }
    }

    async function withdraw(upload) {
      const ok = await ask({
        title: "确认删除数据",
        text: `撤回上报 ${upload.id}（${upload.file_name}）导入的全部数据？上传记录本身保留。被删除的数据会在门户网站下一次更新时撤下。`,
        ok: "确认删除数据",
      });
      if (!ok) return;
      try {
        const result = await api("DELETE", `/api/uploads/${upload.id}/records`);
        say(`已撤回上报 ${upload.id} 导入的 ${result.withdrawn} 条数据，上传记录保留。`, true);
        await reload();
      } catch (e) {
        say(e.message);
      }
    }

    async function remove(upload) {
      const ok = await ask({
        title: "确认删除",
        text: `删除上报 ${upload.id}（${upload.file_name}）这条上传记录，同时删除它导入的数据？`,
        ok: "确认删除",
      });
      if (!ok) return;
      try {
        const result = await api("DELETE", `/api/uploads/${upload.id}`);
        say(`已删除上报 ${upload.id} 的上传记录，同时撤回数据 ${result.withdrawn} 条。`, true);
        await reload();
      } catch (e) {
        say(e.message);
      }
    }

    async function reload() {
      cursors = [null];
      await load(0);
    }

    return {
      reload,
      setUnits(map) {
        units = map;
      },
      setUsers(map) {
        users = map;
      },
    };
  }

  /** Check results the server filters on (`result`); `deleted` is an upload status. */
  const UPLOAD_RESULTS = ["passed", "partial", "failed"];

  /**
   * The upload list of one menu: the datasets of `group`, or all. The server filters and pages,
   * so every page is full and 下一页 appears only when there is more.
   */
  function groupUploads(group, filters) {
    const ids = group ? datasets.filter((d) => d.group === group).map((d) => d.id) : [];
    return async (cursor) => {
      const f = filters ? filters() : {};
      const result = UPLOAD_RESULTS.includes(f.status) ? f.status : "";
      const status = f.status === "deleted" ? "deleted" : "";
      return api("GET", "/api/uploads" + query({
        dataset: f.dataset || ids.join(","), from: f.from, to: f.to, status, result,
        before: cursor, limit: 20,
      }));
    };
  }

  // ---- 双公示 and 数据报送 ----------------------------------------------------------------

  async function uploadPage() {
    const container = $("upload-list");
    const group = container.dataset.group;
    const list = uploadList(container, groupUploads(group));
    uploadForm(() => list.reload());
    await list.reload();
  }

  // ---- 我的上报 --------------------------------------------------------------------------

  async function historyPage() {
    const form = $("history-filter");
    const filters = () => ({
      dataset: $("history-dataset").value,
      from: $("history-from").value,
      to: $("history-to").value,
      status: $("history-status").value,
    });
    const list = uploadList($("upload-list"), groupUploads("", filters), { caption: "我的上报" });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      list.reload();
    });
    await list.reload();
  }

  // ---- 双公示信息管理 --------------------------------------------------------------------

  async function recordsPage() {
    const params = new URLSearchParams(location.search);
    const sgs = datasets.filter((d) => d.group === "双公示");
    const dataset = sgs.find((d) => d.id === params.get("dataset")) || sgs[0];
    if (!dataset) return;
    document.title = `${dataset.title} - 双公示信息管理 - 数据报送平台`;
    for (const tab of document.querySelectorAll("[data-dataset-tab]")) {
      if (tab.dataset.datasetTab === dataset.id) tab.setAttribute("aria-current", "page");
    }
    const list = $("record-list");
    let cursors = [null];
    let index = 0;
    /** The record being modified, or null while adding one. */
    let editing = null;

    async function load(at) {
      const q = $("record-q").value.trim();
      const state = $("record-state").value;
      let page;
      try {
        page = await api("GET", "/api/records" + query({
          dataset: dataset.id, q, state, after: cursors[at], limit: 20,
        }));
      } catch (e) {
        list.replaceChildren(el("p", { class: "console-message" }, e.message));
        return;
      }
      index = at;
      cursors = cursors.slice(0, at + 1);
      if (page.next_cursor) cursors.push(page.next_cursor);
      renderList(page.items);
    }

    function renderList(items) {
      const rows = items.map((r) => el("tr", { class: r.state, "data-record": r.id },
        el("td", {}, r.subject_name),
        el("td", {}, r.subject_code || ""),
        el("td", {}, r.doc_no || ""),
        el("td", {}, r.decision_date || ""),
        el("td", {}, el("span", { class: "badge " + r.state }, STATE_TEXT[r.state] || r.state)),
        el("td", { class: "num" }, r.version),
        el("td", { class: "actions" },
          el("button", { type: "button", class: "small secondary", onclick: () => showDetail(r.id),
            "aria-label": `查看：${r.subject_name}` }, "查看"),
          r.state === "active"
            ? el("button", { type: "button", class: "small", onclick: () => openForm(r.id),
              "aria-label": `修改：${r.subject_name}` }, "修改")
            : null,
          r.state === "active"
            ? el("button", { type: "button", class: "small danger", onclick: () => revoke(r),
              "aria-label": `撤销：${r.subject_name}` }, "撤销")
            : null)));
      const table = items.length
        ? el("div", { class: "table-scroll" }, el("table", { class: "records" },
          el("caption", {}, `${dataset.title}（第 ${index + 1} 页，每页 20 条）`),
          el("thead", {}, el("tr", {},
            ["行政相对人名称", "统一社会信用代码", "决定文书号", "决定日期", "状态", "版本", "操作"]
              .map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, rows)))
        : el("p", { class: "note" }, "没有符合条件的记录。");
      const pager = el("nav", { class: "pager", "aria-label": "翻页" },
        index > 0 ? el("button", { type: "button", class: "secondary", onclick: () => load(index - 1) }, "上一页") : el("span"),
        cursors.length > index + 1
          ? el("button", { type: "button", class: "secondary", onclick: () => load(index + 1) }, "下一页")
          : el("span"));
      list.replaceChildren(table, pager);
    }

    // The entry form, generated from the dataset's fields.
    const fieldsBox = $("record-fields");
    const inputs = new Map();

    function fieldId(i) {
      return "f-" + i;
    }

    function buildForm() {
      fieldsBox.replaceChildren();
      inputs.clear();
      dataset.fields.forEach((field, i) => {
        const id = fieldId(i);
        const helpText = [field.requirement, field.format, field.help].filter(Boolean).join("。");
        const help = el("span", { class: "help", id: id + "-help" }, helpText);
        const error = el("span", { class: "field-error", id: id + "-error", role: "alert" });
        const described = `${id}-help ${id}-error`;
        const mandatory = field.required === "mandatory";
        const mark = mandatory ? el("span", { class: "req", "aria-hidden": "true" }, " *") : null;
        let box;
        let control;
        if (field.multiple) {
          const checks = field.options.map((o, j) => el("label", {},
            el("input", { type: "checkbox", value: o.value, id: `${id}-${j}` }), " ", o.text));
          const other = field.other_prefix
            ? el("input", { type: "text", id: id + "-other", "aria-label": `${field.label}：${field.other_prefix}（说明）`, placeholder: field.other_prefix + "说明" })
            : null;
          box = el("fieldset", { class: "field wide", "aria-describedby": described },
            el("legend", { class: "label" }, field.label, mark), checks, other, help, error);
          control = {
            get: () => {
              const values = [...box.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
              if (other && other.value.trim()) values.push(field.other_prefix + other.value.trim());
              return values.join(";");
            },
            set: (value) => {
              const parts = (value || "").split(/[;；,，、]/).map((p) => p.trim()).filter(Boolean);
              for (const c of box.querySelectorAll("input[type=checkbox]")) c.checked = parts.includes(c.value);
              if (other) {
                const free = parts.find((p) => p.startsWith(field.other_prefix));
                other.value = free ? free.slice(field.other_prefix.length) : "";
              }
            },
            focus: () => box.querySelector("input").focus(),
          };
        } else if (field.options.length) {
          const select = el("select", { id, "aria-describedby": described, "aria-required": mandatory ? "true" : null },
            el("option", { value: "" }, "请选择"),
            field.options.map((o) => el("option", { value: o.value }, o.text)),
            field.other_prefix ? el("option", { value: "__other" }, field.other_prefix + "（其他，请说明）") : null);
          const other = field.other_prefix
            ? el("input", { type: "text", id: id + "-other", hidden: true, "aria-label": `${field.label}：其他（说明）` })
            : null;
          select.addEventListener("change", () => {
            if (other) other.hidden = select.value !== "__other";
          });
          box = el("p", { class: "field" }, el("label", { for: id }, field.label, mark), select, other, help, error);
          control = {
            get: () => (select.value === "__other" ? field.other_prefix + other.value.trim() : select.value),
            set: (value) => {
              const known = field.options.some((o) => o.value === value);
              if (value && !known && other) {
                select.value = "__other";
                other.hidden = false;
                other.value = value.startsWith(field.other_prefix) ? value.slice(field.other_prefix.length) : value;
              } else {
                select.value = value || "";
                if (other) other.hidden = true;
              }
            },
            focus: () => select.focus(),
          };
        } else {
          const long = field.max_len && field.max_len >= 1000;
          const attrs = { id, name: field.label, "aria-describedby": described, "aria-required": mandatory ? "true" : null };
          let input;
          if (long) input = el("textarea", Object.assign({ rows: 3 }, attrs));
          else if (field.type === "date") input = el("input", Object.assign({ type: "date", min: "1949-01-01", max: "2099-12-31" }, attrs));
          else input = el("input", Object.assign({ type: "text", inputmode: field.type === "amount" || field.type === "year" ? "decimal" : null }, attrs));
          let forever = null;
          if (field.allow_forever) {
            forever = el("input", { type: "checkbox", id: id + "-forever" });
            forever.addEventListener("change", () => {
              input.disabled = forever.checked;
            });
          }
          box = el("p", { class: "field" + (long ? " wide" : "") },
            el("label", { for: id }, field.label, mark), input,
            forever ? el("label", { for: id + "-forever", class: "help" }, forever, " 长期有效") : null,
            help, error);
          control = {
            get: () => (forever && forever.checked ? "长期" : input.value.trim()),
            set: (value) => {
              const endless = Boolean(forever) && (value === "长期" || value === "2099-12-31");
              if (forever) forever.checked = endless;
              input.disabled = endless;
              input.value = endless ? "" : value || "";
            },
            focus: () => input.focus(),
          };
        }
        inputs.set(field.label, { box, control, error });
        fieldsBox.append(box);
      });
    }

    function clearErrors() {
      for (const { box, error } of inputs.values()) {
        box.classList.remove("invalid");
        error.textContent = "";
      }
      $("record-form-error").hidden = true;
    }

    async function openForm(id) {
      clearErrors();
      editing = null;
      $("record-detail-section").hidden = true;
      let values = {};
      if (id) {
        try {
          const detail = await api("GET", `/api/records/${id}`);
          editing = detail.record;
          values = detail.record.values || {};
        } catch (e) {
          say(e.message);
          return;
        }
      } else if (me.unit) {
        // A new record's source unit is the user's own.
        values = { 数据来源单位: me.unit.name, 数据来源单位统一社会信用代码: me.unit.code };
      }
      for (const [label, { control }] of inputs) control.set(values[label] || "");
      $("record-form-title").textContent = editing
        ? `修改：${editing.subject_name}（当前第 ${editing.version} 版）`
        : `新增${dataset.title}`;
      $("record-save").textContent = editing ? "保存修改" : "保存";
      $("record-form-section").hidden = false;
      $("record-form-title").focus();
    }

    async function save(event) {
      event.preventDefault();
      clearErrors();
      const values = {};
      for (const [label, { control }] of inputs) {
        const value = control.get();
        if (value) values[label] = value;
      }
      $("record-save").disabled = true;
      try {
        const saved = editing
          ? await api("PUT", `/api/records/${editing.id}`, { values })
          : await api("POST", "/api/records", { dataset: dataset.id, values });
        $("record-form-section").hidden = true;
        say(editing ? `已保存修改，生成第 ${saved.version} 版。门户网站将在下一次更新时显示修改后的内容。`
          : "已新增记录。", true);
        editing = null;
        await load(0);
      } catch (e) {
        showErrors(e);
      } finally {
        $("record-save").disabled = false;
      }
    }

    function showErrors(e) {
      const issues = (e.body && e.body.issues) || [];
      const general = [];
      let first = null;
      for (const issue of issues) {
        const target = inputs.get(issue.field);
        if (!target) {
          general.push(`${issue.field}：${issue.message}`);
          continue;
        }
        target.box.classList.add("invalid");
        target.error.textContent = (target.error.textContent ? target.error.textContent + "；" : "") + issue.message;
        if (!first) first = target;
      }
      const box = $("record-form-error");
      box.textContent = [e.message].concat(general).join("；");
      box.hidden = false;
      if (first) first.control.focus();
    }

    async function revoke(record) {
      const reason = await ask({
        title: "撤销记录",
        text: `撤销“${record.subject_name}”${record.doc_no ? "（" + record.doc_no + "）" : ""}。撤销后该记录从门户网站撤下，但仍保留在平台中，不能再修改。`,
        ok: "确认撤销",
        reason: true,
      });
      if (reason === null) return;
      try {
        await api("POST", `/api/records/${record.id}/revoke`, { reason });
        say(`已撤销“${record.subject_name}”。门户网站将在下一次更新时撤下该记录。`, true);
        await load(index);
        await showDetail(record.id);
      } catch (e) {
        say(e.message);
      }
    }

    async function showDetail(id) {
      let detail;
      try {
        detail = await api("GET", `/api/records/${id}`);
      } catch (e) {
        say(e.message);
        return;
      }
      const record = detail.record;
      const box = $("record-detail");
      const facts = el("table", { class: "record" },
        el("caption", {}, `${record.subject_name}：当前第 ${record.version} 版`),
        el("tbody", {},
          el("tr", {}, el("th", { scope: "row" }, "状态"),
            el("td", {}, el("span", { class: "badge " + record.state }, STATE_TEXT[record.state] || record.state))),
          record.state === "revoked"
            ? [el("tr", {}, el("th", { scope: "row" }, "撤销原因"), el("td", {}, record.revoked_reason || "")),
              el("tr", {}, el("th", { scope: "row" }, "撤销时间"), el("td", {}, timeText(record.revoked_at)))]
            : null,
          dataset.fields.map((f) => el("tr", {},
            el("th", { scope: "row" }, f.label), el("td", {}, (record.values || {})[f.label] || "")))));
      const versions = detail.versions || [];
      const history = el("table", { class: "versions" },
        el("caption", {}, "历史版本"),
        el("thead", {}, el("tr", {}, ["版本", "时间", "经办人", "来源", "修改的字段"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, versions.map((v, i) => {
          const before = i > 0 ? versions[i - 1].values || {} : null;
          const after = v.values || {};
          const changed = before
            ? [...new Set(Object.keys(before).concat(Object.keys(after)))]
              .filter((k) => before[k] !== after[k])
              .map((k) => `${k}：${before[k] || "（空）"} → ${after[k] || "（空）"}`)
            : ["首次录入"];
          return el("tr", {},
            el("td", { class: "num" }, v.version),
            el("td", {}, timeText(v.created_at)),
            el("td", {}, userName(v.user_id, null, v.username)),
            el("td", {}, v.upload_id ? `上报 ${v.upload_id}` : "手工录入或修改"),
            el("td", {}, changed.join("；")));
        })));
      box.replaceChildren(facts, history);
      $("record-form-section").hidden = true;
      $("record-detail-section").hidden = false;
      $("record-detail-title").focus();
    }

    buildForm();
    $("record-form").addEventListener("submit", save);
    $("record-cancel").addEventListener("click", () => {
      $("record-form-section").hidden = true;
      $("record-new").focus();
    });
    $("record-new").addEventListener("click", () => openForm(null));
    $("record-search").addEventListener("submit", (event) => {
      event.preventDefault();
      cursors = [null];
      load(0);
    });
    await load(0);
  }

  // ---- administration --------------------------------------------------------------------

  async function adminPage() {
    let units;
    try {
      units = (await api("GET", "/api/admin/units")).items;
    } catch (e) {
      if (e.status === 403 || e.status === 404) {
        $("admin-denied").hidden = false;
        return;
      }
      throw e;
    }
    $("admin").hidden = false;
    /** The list of every unit's uploads, made once the units are known. */
    let uploads = null;
    const unitNames = Object.fromEntries(units.map((u) => [u.id, u.name]));
    let userNames = {};

    function renderUnits() {
      $("unit-list").replaceChildren(el("table", { class: "units" },
        el("caption", {}, `单位 ${units.length} 个`),
        el("thead", {}, el("tr", {}, ["编号", "单位名称", "统一社会信用代码", "报送的数据类型", "状态"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, units.map((u) => el("tr", {},
          el("td", { class: "num" }, u.id), el("td", {}, u.name), el("td", {}, u.code),
          el("td", {}, u.datasets && u.datasets.length ? u.datasets.map(datasetTitle).join("、") : "全部"),
          el("td", {}, u.active === false ? "停用" : "正常"))))));
      const select = $("user-unit");
      select.replaceChildren(...units.map((u) => el("option", { value: u.id }, u.name)));
      const filter = $("admin-upload-unit");
      filter.replaceChildren(el("option", { value: "" }, "全部单位"), ...units.map((u) => el("option", { value: u.id }, u.name)));
    }

    async function loadUsers() {
      const users = (await api("GET", "/api/admin/users")).items;
      userNames = Object.fromEntries(users.map((u) => [u.id, u.username]));
      if (uploads) uploads.setUsers(userNames);
      $("user-list").replaceChildren(el("table", { class: "users" },
        el("caption", {}, `用户 ${users.length} 个`),
        el("thead", {}, el("tr", {}, ["用户名", "单位", "角色", "状态", "操作"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, users.map((u) => el("tr", { "data-user": u.username },
          el("td", {}, u.username),
          el("td", {}, unitNames[u.unit_id] || u.unit_id),
          el("td", {}, u.role === "admin" ? "信用办管理员" : "报送经办人"),
          el("td", {}, !u.active ? "已停用" : locked(u) ? "已锁定" : "正常"),
          el("td", { class: "actions" },
            locked(u)
              ? el("button", { type: "button", class: "small secondary", "aria-label": `解锁：${u.username}`,
                onclick: () => unlock(u) }, "解锁")
              : "",
            el("button", { type: "button", class: "small secondary", "aria-label": `重置密码：${u.username}`,
              onclick: () => resetPassword(u) }, "重置密码"),
            el("button", { type: "button", class: "small danger", "aria-label": `${u.active ? "停用" : "启用"}：${u.username}`,
              onclick: () => setActive(u, !u.active) }, u.active ? "停用" : "启用")))))));
    }

    async function loadUsccExceptions() {
      const items = (await api("GET", "/api/admin/uscc-exceptions")).items;
      $("uscc-list").replaceChildren(items.length
        ? el("table", { class: "uscc" },
          el("caption", {}, `例外代码 ${items.length} 个`),
          el("thead", {}, el("tr", {}, ["统一社会信用代码", "核实依据", "登记人", "登记时间"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, items.map((x) => el("tr", { "data-uscc": x.code },
            el("td", {}, x.code), el("td", {}, x.note),
            el("td", {}, userName(x.added_by, userNames)), el("td", {}, timeText(x.added_at))))))
        : el("p", { class: "note" }, "还没有登记例外代码。"));
    }

    function locked(user) {
      return Boolean(user.locked_until) && new Date(user.locked_until) > new Date();
    }

    async function unlock(user) {
      try {
        await api("POST", `/api/admin/users/${user.id}/unlock`);
        say(`已解锁 ${user.username}，可以立即重新登录。`, true);
        await loadUsers();
      } catch (e) {
        say(e.message);
      }
    }

    async function resetPassword(user) {
      const password = await ask({
        title: `重置 ${user.username} 的密码`,
        text: "输入新的密码（至少 10 个字符），并告知该用户。",
        ok: "重置密码",
        reason: true,
        reasonLabel: "新密码（必填）",
        input: "password",
      });
      if (password === null) return;
      try {
        await api("POST", `/api/admin/users/${user.id}/password`, { password });
        say(`已重置 ${user.username} 的密码。`, true);
      } catch (e) {
        say(e.message);
      }
    }

    async function setActive(user, active) {
      const ok = await ask({
        title: active ? "启用账号" : "停用账号",
        text: active ? `启用 ${user.username}？` : `停用 ${user.username}？停用后该账号无法登录。`,
        ok: active ? "确认启用" : "确认停用",
      });
      if (!ok) return;
      try {
        await api("POST", `/api/admin/users/${user.id}/active`, { active });
        say(`已${active ? "启用" : "停用"} ${user.username}。`, true);
        await loadUsers();
      } catch (e) {
        say(e.message);
      }
    }

    async function loadStats() {
      const items = (await api("GET", "/api/admin/stats")).items;
      $("stats-table").replaceChildren(el("div", { class: "table-scroll" }, el("table", { class: "stats" },
        el("caption", {}, "按单位和数据类型"),
        el("thead", {}, el("tr", {}, ["单位", "数据类型", "正常记录", "已撤销", "上传次数", "上传行数", "错误行数", "错误率", "及时率"]
          .map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, items.map((s) => el("tr", {},
          el("td", {}, s.unit_name || unitNames[s.unit_id] || s.unit_id),
          el("td", {}, datasetTitle(s.dataset)),
          el("td", { class: "num" }, s.active_records),
          el("td", { class: "num" }, s.revoked_records),
          el("td", { class: "num" }, s.uploads),
          el("td", { class: "num" }, s.rows),
          el("td", { class: "num" }, s.invalid_rows),
          el("td", { class: "num" }, percent(s.invalid_share)),
          el("td", { class: "num" }, percent(s.timeliness))))))));
      $("stats-chart").replaceChildren(chart(items));
    }

    /** Bars of rows uploaded per unit, the invalid part in a second colour. */
    function chart(items) {
      const perUnit = new Map();
      for (const s of items) {
        const name = s.unit_name || unitNames[s.unit_id] || String(s.unit_id);
        const entry = perUnit.get(name) || { rows: 0, invalid: 0, records: 0 };
        entry.rows += s.rows || 0;
        entry.invalid += s.invalid_rows || 0;
        entry.records += s.active_records || 0;
        perUnit.set(name, entry);
      }
      const entries = [...perUnit.entries()];
      if (!entries.length) return el("p", { class: "note" }, "还没有统计数据。");
      const max = Math.max(1, ...entries.map(([, e]) => e.rows));
      const ns = "http://www.w3.org/2000/svg";
      const rowHeight = 28;
      const labelWidth = 220;
      const width = 720;
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("class", "chart");
      svg.setAttribute("role", "img");
      svg.setAttribute("viewBox", `0 0 ${width} ${entries.length * rowHeight + 8}`);
      svg.setAttribute("width", "100%");
      svg.setAttribute("aria-label", "各单位上传行数（其中错误行数）："
        + entries.map(([name, e]) => `${name} ${e.rows} 行，错误 ${e.invalid} 行`).join("；"));
      const add = (tag, attrs, text) => {
        const node = document.createElementNS(ns, tag);
        for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
        if (text !== undefined) node.textContent = text;
        svg.append(node);
      };
      entries.forEach(([name, e], i) => {
        const y = i * rowHeight + 4;
        const scale = (width - labelWidth - 120) / max;
        add("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end" }, name);
        add("rect", { class: "bar", x: labelWidth, y, width: Math.max(1, e.rows * scale), height: rowHeight - 8 });
        add("rect", { class: "bar-bad", x: labelWidth, y, width: e.invalid * scale, height: rowHeight - 8 });
        add("text", { x: labelWidth + e.rows * scale + 6, y: y + 16 }, `${e.rows} 行 / 错误 ${e.invalid}`);
      });
      return el("figure", {}, svg,
        el("figcaption", { class: "legend" },
          el("span", {}, el("i", { style: "background:#b3261e" }), "上传行数"),
          el("span", {}, el("i", { style: "background:#f4b400" }), "其中错误行数")));
    }

    $("unit-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = $("unit-error");
      const body = {
        name: form.name.value.trim(),
        code: form.code.value.trim(),
        datasets: [...form.querySelectorAll("input[name=datasets]:checked")].map((c) => c.value),
      };
      try {
        const unit = await api("POST", "/api/admin/units", body);
        units.push(unit);
        unitNames[unit.id] = unit.name;
        renderUnits();
        form.reset();
        error.hidden = true;
        say(`已新增单位 ${unit.name}。`, true);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    });

    $("user-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = $("user-error");
      const body = {
        username: form.username.value.trim(),
        unit_id: Number(form.unit_id.value),
        role: form.role.value,
        password: form.password.value,
      };
      try {
        await api("POST", "/api/admin/users", body);
        form.reset();
        error.hidden = true;
        say(`已新增用户 ${body.username}。`, true);
        await loadUsers();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    });

    renderUnits();
    uploads = uploadList($("admin-upload-list"), async (cursor) =>
      api("GET", "/api/admin/uploads" + query({ unit: $("admin-upload-unit").value, before: cursor, limit: 20 })),
    { admin: true, units: unitNames, caption: "全部单位的上报" });
    $("admin-upload-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      uploads.reload();
    });
    $("uscc-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = $("uscc-error");
      try {
        const added = await api("POST", "/api/admin/uscc-exceptions", {
          code: form.code.value.trim(),
          note: form.note.value.trim(),
        });
        error.hidden = true;
        form.reset();
        say(`已登记例外代码 ${added.code}。`, true);
        await loadUsccExceptions();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    });
    await Promise.all([loadStats(), loadUsers()]);
    await loadUsccExceptions();
    await uploads.reload();
  }

  // ---- 修改密码 --------------------------------------------------------------------------

  function passwordPage() {
    const form = $("password-form");
    const error = $("password-error");
    const show = (text, field) => {
      error.textContent = text;
      error.hidden = !text;
      if (field) field.focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const oldPassword = $("old-password").value;
      const newPassword = $("new-password").value;
      if (!oldPassword) return show("请输入原密码", $("old-password"));
      if (newPassword.length < 10) return show("新密码至少需要 10 个字符", $("new-password"));
      if (newPassword !== $("new-password-again").value) {
        return show("两次输入的新密码不一致", $("new-password-again"));
      }
      show("");
      $("password-submit").disabled = true;
      try {
        await api("POST", "/api/auth/password", { old_password: oldPassword, new_password: newPassword });
        form.reset();
        say("密码已修改。在其他电脑或浏览器上的登录已全部退出，下次请用新密码登录。", true);
      } catch (e) {
        show(e.message);
      } finally {
        $("password-submit").disabled = false;
      }
    });
  }

  const PAGES = {
    login: loginPage,
    password: passwordPage,
    sgs: uploadPage,
    report: uploadPage,
    history: historyPage,
    records: recordsPage,
    admin: adminPage,
  };

  start();
})();
