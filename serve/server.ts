import fs from "node:fs";
import http from "node:http";
import { UserError } from "../lib/errors.js";
import { DashboardQuery, TableName, type ServeModel } from "./app.js";
import { assetFiles } from "./assets.js";
import { esc, page } from "./html.js";
import { dashboardPage } from "./pages/dashboard.js";
import { noRunsPage } from "./pages/noRuns.js";
import { pipelinePage } from "./pages/pipeline.js";
import { tablePage } from "./pages/tablePage.js";

/** How often the live pipeline view looks for news: well inside the 5 s the page may lag a run. */
const LIVE_POLL_MS = 1000;

type Reply = { status: number; type: string; body: string | Buffer; cache?: string };
const html = (body: string, status = 200): Reply => ({ status, type: "text/html; charset=utf-8", body });
const errorPage = (status: number, message: string) => html(page({ title: String(status), body: `<h1>${status}</h1><p>${esc(message)}</p>` }), status);

export function requestHandler(model: ServeModel): http.RequestListener {
  const assets = assetFiles();
  const route = async (url: URL, res: http.ServerResponse): Promise<Reply | undefined> => {
    const params = Object.fromEntries(url.searchParams);
    const p = url.pathname;
    if (p === "/") {
      const query = DashboardQuery.safeParse(params);
      if (!query.success) return errorPage(400, `bad query parameter: ${query.error.issues.map((i) => `${i.path.join(".") || "?"}: ${i.message}`).join("; ")}`);
      const data = await model.dashboard(query.data);
      return html(data ? dashboardPage(data) : noRunsPage(model.home));
    }
    if (Object.keys(params).length > 0) return errorPage(400, `${p} takes no query parameters`);
    if (p === "/favicon.ico") return { status: 204, type: "image/x-icon", body: "" };
    if (p === "/pipeline") return html(pipelinePage(model.layout, await model.pipeline()));
    if (p === "/api/pipeline") return { status: 200, type: "application/json", body: JSON.stringify(await model.pipeline()) };
    if (p === "/api/pipeline/events") {
      liveEvents(model, res);
      return undefined;
    }
    const table = /^\/tables\/([^/]+)$/.exec(p);
    if (table) {
      const name = TableName.safeParse(decodeURIComponent(table[1]!));
      const entry = name.success ? model.entry(name.data) : undefined;
      if (!entry) return errorPage(404, `no table ${table[1]} in the compiled graph`);
      return html(tablePage(await model.table(entry)));
    }
    const asset = /^\/assets\/([^/]+)$/.exec(p);
    if (asset && Object.hasOwn(assets, asset[1]!)) {
      const { file, type } = assets[asset[1]!]!;
      // Libraries and scripts change only with the package: the browser may keep them (pages are never cached).
      return { status: 200, type, body: await fs.promises.readFile(file), cache: "max-age=3600" };
    }
    return errorPage(404, `no page at ${p}`);
  };
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    route(url, res).then(
      (reply) => {
        if (!reply) return;
        res.writeHead(reply.status, { "content-type": reply.type, "cache-control": reply.cache ?? "no-store" });
        res.end(req.method === "HEAD" ? undefined : reply.body);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`pulse serve: ${url.pathname}: ${message}\n`);
        if (!res.headersSent) {
          const reply = errorPage(500, message);
          res.writeHead(reply.status, { "content-type": reply.type }).end(reply.body);
        }
      },
    );
  };
}

/** Server-sent events: the pipeline status, sent whenever it changes (checked every LIVE_POLL_MS). */
function liveEvents(model: ServeModel, res: http.ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  let last = "";
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const status = JSON.stringify(await model.pipeline());
      if (status !== last) {
        last = status;
        res.write(`data: ${status}\n\n`);
      }
    } catch (error) {
      res.write(`event: problem\ndata: ${JSON.stringify((error as Error).message)}\n\n`);
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), LIVE_POLL_MS);
  res.on("close", () => clearInterval(timer));
}

/** Listens on 127.0.0.1 only; a port in use is a user error naming it. */
export async function listen(model: ServeModel, port: number): Promise<http.Server> {
  const server = http.createServer(requestHandler(model));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new UserError(`serve: port ${port} on 127.0.0.1 is in use; pick another with --port`, 2));
      else if (error.code === "EACCES") reject(new UserError(`serve: not allowed to listen on port ${port}; pick another with --port`, 2));
      else reject(error);
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return server;
}
