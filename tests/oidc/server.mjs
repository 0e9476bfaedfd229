// SPDX-License-Identifier: Apache-2.0
// A real OpenID Connect provider for the social login tests: the npm
// package oidc-provider (OpenID Certified), one provider per issuer layout,
// on one loopback port.
//
//   node server.mjs <port> <config.json>
//
// config.json:
//   { "providers": [ { "prefix": "/realms/test",        issuer path
//                      "alg": "RS256" | "ES256",         signing key type
//                      "clients": [ oidc-provider client metadata ],
//                      "accounts": { "<login>": { claims } } } ] }
//
// The issuer of a provider is http://127.0.0.1:<port><prefix>. Logins go
// through oidc-provider's development interactions: GET the authorization
// URL, follow to /interaction/<uid>, POST prompt=login&login=<id>&password=x,
// follow, POST prompt=consent, follow to the client's redirect_uri. Any
// login is accepted; its claims come from "accounts" (sub = the login unless
// the account sets one).
//
// Admin routes for the bad cases (JSON bodies; "prefix" picks a provider):
//   POST /__admin/rotate {prefix}        new signing key first, old one kept
//   POST /__admin/mode {prefix, id_token, delay_ms}
//        id_token: null | bad_aud | bad_iss | bad_nonce | bad_sig |
//                  alg_none | expired     rewrites the token response
//                  | tenant_iss           iss = <base>/<tid claim>/v2.0, as
//                                         Azure's common/organizations sign
//                  | tenant_iss_other_tid that, then tid = another tenant
//        delay_ms: every provider answer waits this long first
//   GET  /__admin/health                 200 once listening
// The process prints "listening <port>" on stdout when ready.
import * as http from 'node:http';
import * as fs from 'node:fs';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.argv[2]);
const config = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const base = `http://127.0.0.1:${port}`;
const INTERNAL = 'x-test-oidc-internal';

async function newKey(alg, n) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `${alg.toLowerCase()}-${n}-${Date.now()}`;
  jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}

function build(p) {
  const accounts = p.accounts || {};
  const provider = new Provider(base + p.prefix, {
    clients: p.clients.map((c) => ({ id_token_signed_response_alg: p.alg, ...c })),
    jwks: { keys: p.keys },
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    claims: {
      openid: ['sub', 'oid', 'tid', 'hd', 'cognito:username'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: { devInteractions: { enabled: true } },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    async findAccount(ctx, id) {
      const claims = { sub: id, ...(accounts[id] || {}) };
      return { accountId: id, async claims() { return claims; } };
    },
  });
  provider.proxy = false;
  // Why a request was refused, in the log the test prints on failure.
  for (const ev of ['grant.error', 'authorization.error', 'server_error', 'userinfo.error']) {
    provider.on(ev, (ctx, err) => {
      process.stderr.write(`${p.prefix || '/'} ${ev}: ${err.message} ${err.error_detail || ''}\n`);
    });
  }
  return provider;
}

const providers = [];
for (const p of config.providers) {
  p.alg = p.alg || 'RS256';
  p.keys = [await newKey(p.alg, 0)];
  p.mode = { id_token: null, delay_ms: 0 };
  p.provider = build(p);
  p.handler = p.provider.callback();
  providers.push(p);
}
// Longest prefix first, so "" (Google's root issuer) comes last.
providers.sort((a, b) => b.prefix.length - a.prefix.length);

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// Re-sign the ID token of a token response the way a broken or hostile
// provider would.
async function mangle(p, body) {
  const tok = JSON.parse(body.toString('utf8'));
  if (!tok.id_token) return body;
  const claims = jose.decodeJwt(tok.id_token);
  const header = jose.decodeProtectedHeader(tok.id_token);
  let key = p.keys[0];
  const now = Math.floor(Date.now() / 1000);
  switch (p.mode.id_token) {
    case 'bad_aud': claims.aud = 'someone-else'; delete claims.azp; break;
    case 'bad_iss': claims.iss = `${base}/not-the-issuer`; break;
    case 'bad_nonce': claims.nonce = 'not-the-nonce'; break;
    case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
    case 'tenant_iss': claims.iss = `${base}/${claims.tid}/v2.0`; break;
    case 'tenant_iss_other_tid':
      claims.iss = `${base}/${claims.tid}/v2.0`;
      claims.tid = '99999999-0000-0000-0000-000000000000';
      break;
    case 'bad_sig': key = { ...(await newKey(p.alg, 9)), kid: header.kid }; break;
    case 'alg_none': {
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      tok.id_token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
      return Buffer.from(JSON.stringify(tok));
    }
    default: return body;
  }
  const priv = await jose.importJWK(key, p.alg);
  tok.id_token = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: p.alg, kid: key.kid, typ: header.typ })
    .sign(priv);
  return Buffer.from(JSON.stringify(tok));
}

// Forward a request to ourselves unmangled, then rewrite the answer.
async function proxyMangled(p, req, res) {
  const body = await readBody(req);
  const headers = { ...req.headers, [INTERNAL]: '1' };
  const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (ures) => {
    const chunks = [];
    ures.on('data', (c) => chunks.push(c));
    ures.on('end', async () => {
      let out = Buffer.concat(chunks);
      if (ures.statusCode === 200) out = await mangle(p, out);
      const h = { ...ures.headers, 'content-length': out.length };
      delete h['transfer-encoding'];
      res.writeHead(ures.statusCode, h);
      res.end(out);
    });
  });
  up.end(body);
}

async function admin(req, res, path) {
  if (path === '/__admin/health') return reply(res, 200, { ok: true });
  const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  const p = providers.find((x) => x.prefix === (body.prefix || ''));
  if (!p) return reply(res, 404, { error: 'no such provider' });
  if (path === '/__admin/rotate') {
    p.keys = [await newKey(p.alg, p.keys.length), ...p.keys];
    p.provider = build(p);
    p.handler = p.provider.callback();
    return reply(res, 200, { kids: p.keys.map((k) => k.kid) });
  }
  if (path === '/__admin/mode') {
    p.mode = { id_token: body.id_token || null, delay_ms: Number(body.delay_ms || 0) };
    return reply(res, 200, p.mode);
  }
  return reply(res, 404, { error: 'no such admin route' });
}

const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, base).pathname;
    if (path.startsWith('/__admin/')) return await admin(req, res, path);
    const p = providers.find((x) => path === x.prefix || path.startsWith(`${x.prefix}/`));
    if (!p) return reply(res, 404, { error: 'no provider here' });
    const internal = req.headers[INTERNAL] === '1';
    if (!internal && p.mode.delay_ms > 0) {
      await new Promise((r) => { setTimeout(r, p.mode.delay_ms); });
    }
    if (!internal && p.mode.id_token && path === `${p.prefix}/token`) {
      return await proxyMangled(p, req, res);
    }
    req.originalUrl = req.url;
    req.url = req.url.slice(p.prefix.length) || '/';
    return p.handler(req, res);
  } catch (e) {
    return reply(res, 500, { error: String(e) });
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
