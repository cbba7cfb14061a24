// Bearer-token auth in front of a registry, the flow Docker Hub uses: /v2/* without a valid token
// gets 401 with `WWW-Authenticate: Bearer realm=.../token,service=...,scope=...`; /token hands out
// tokens for the right basic credentials. With "corrupt", blob bodies come back with a byte flipped
// (and no auth), to test digest verification.
// Blobs are redirected to another origin (localhost instead of 127.0.0.1), as registries send them to
// a CDN or S3, which refuses a request that still carries the registry's Authorization header.
// With "flaky", no auth either, and every other request fails with 503 (retries must cope).
// With "slow", no auth, and blob bodies trickle (16 KiB every 20 ms): time to interrupt a pull.
// With "stall", no auth, and blob bodies stop after half and never end.
// Usage: bun token-proxy.ts PORT BACKEND USER PASSWORD ok|corrupt|flaky|slow|stall
const [port, backend, user, password, mode] = process.argv.slice(2) as [string, string, string, string, string];
const tokens = new Set<string>();
const corrupt = mode === "corrupt";
const flaky = mode === "flaky";
let requests = 0;

Bun.serve({
  port: Number(port),
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/healthz") return new Response("ok");
    if (url.pathname.startsWith("/cdn/")) {
      if (req.headers.get("authorization")) return new Response("Only one auth mechanism allowed", { status: 400 });
      const upstream = await fetch(`http://${backend}${url.pathname.slice(4)}`);
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    }
    if (url.pathname === "/token") {
      const auth = req.headers.get("authorization") ?? "";
      const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
      // As Docker Hub: anonymous tokens for public repositories, credentials for the others.
      const anonymous = auth === "" && /^repository:public\//.test(url.searchParams.get("scope") ?? "");
      if (auth !== expected && !anonymous) return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, { status: 401 });
      if (!url.searchParams.get("scope")?.startsWith("repository:")) return Response.json({ errors: [{ code: "DENIED", message: "no scope" }] }, { status: 403 });
      const token = crypto.randomUUID();
      tokens.add(token);
      return Response.json({ token, access_token: token, expires_in: 300 });
    }
    if (flaky && url.pathname.startsWith("/v2/") && ++requests % 2 === 1) {
      return new Response("try again", { status: 503, headers: { "retry-after": "0" } });
    }
    if (mode === "stall" && url.pathname.includes("/blobs/")) {
      const upstream = await fetch(`http://${backend}${url.pathname}`);
      const body = new Uint8Array(await upstream.arrayBuffer());
      if (body.length < 10000) return new Response(body, { status: upstream.status, headers: upstream.headers });
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(body.subarray(0, body.length >> 1)); // and then nothing, ever
        },
      });
      return new Response(stream, { status: upstream.status, headers: { "content-length": String(body.length) } });
    }
    if (mode === "slow" && url.pathname.includes("/blobs/")) {
      const upstream = await fetch(`http://${backend}${url.pathname}`);
      const body = new Uint8Array(await upstream.arrayBuffer());
      const stream = new ReadableStream({
        async pull(controller) {
          const off = (this as unknown as { off?: number }).off ?? 0;
          if (off >= body.length) return controller.close();
          await Bun.sleep(20);
          controller.enqueue(body.subarray(off, off + 16384));
          (this as unknown as { off?: number }).off = off + 16384;
        },
      });
      return new Response(stream, { status: upstream.status, headers: { "content-length": String(body.length) } });
    }
    if (!corrupt && !flaky && mode !== "slow" && mode !== "stall") {
      const auth = req.headers.get("authorization") ?? "";
      if (!auth.startsWith("Bearer ") || !tokens.has(auth.slice(7))) {
        const repo = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1];
        return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="ctr-test"${repo ? `,scope="repository:${repo}:pull"` : ""}`,
          },
        });
      }
    }
    if (mode === "ok" && url.pathname.includes("/blobs/")) {
      return new Response(null, { status: 307, headers: { location: `http://localhost:${port}/cdn${url.pathname}` } });
    }
    const upstream = await fetch(`http://${backend}${url.pathname}${url.search}`, { headers: { accept: req.headers.get("accept") ?? "*/*" } });
    const headers = new Headers(upstream.headers);
    if (corrupt && url.pathname.includes("/blobs/") && upstream.ok) {
      const body = new Uint8Array(await upstream.arrayBuffer());
      body[body.length - 1] = body[body.length - 1]! ^ 0xff;
      return new Response(body, { status: upstream.status, headers });
    }
    return new Response(upstream.body, { status: upstream.status, headers });
  },
});
