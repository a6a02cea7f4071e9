// The TypeScript SDK echo server of bench/compare.sh: one `echo` tool over streamable HTTP
// on node's own http server.
//
//   node server.mjs --port 3000 --mode sessions|stateless
//
// sessions: one transport (and McpServer) per handshake-era session, SSE answers (the SDK's
// defaults). stateless: no session ids, JSON answers, a fresh McpServer and transport per
// request (the SDK's documented stateless pattern).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3000' },
    mode: { type: 'string', default: 'sessions' },
  },
});

function echoServer() {
  const server = new McpServer({ name: 'ts-echo', version: '0.0.0' });
  server.registerTool(
    'echo',
    { description: 'Answers with the text it is given', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text ? JSON.parse(text) : undefined);
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

const sessions = new Map();

async function sessionful(req, res) {
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  const id = req.headers['mcp-session-id'];
  let transport = id ? sessions.get(id) : undefined;
  if (!transport) {
    if (id || !body || body.method !== 'initialize') {
      res.writeHead(id ? 404 : 400).end();
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => sessions.set(sid, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await echoServer().connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

async function stateless(req, res) {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const body = await readBody(req);
  const server = echoServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on('close', () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

const handle = values.mode === 'stateless' ? stateless : sessionful;
const http = createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(e));
  });
});
http.keepAliveTimeout = 60_000;
http.listen(Number(values.port), '127.0.0.1', () => {
  console.error(`ts-echo (${values.mode}): http://127.0.0.1:${values.port}/mcp`);
});
