// Pure parts of the image code: references, platforms, chain ids, the tar reader (against GNU
// tar's output), the writer round trip, auth challenges, run settings from an image, ELF deps.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseReference, refName, familiarRepo, isLocalRegistry } from "../../src/image/reference";
import { chainIds, sha256 } from "../../src/image/digest";
import { checkDocumentKind, selectPlatform, parsePlatform, type Index } from "../../src/image/schema";
import { memberName } from "../../src/image/foreign-tree";
import { describeDecompressionError } from "../../src/image/layer";
import { TarParser, tarHeader, tarPadding, TAR_END, type TarEntry } from "../../src/image/tar";
import { parseChallenge } from "../../src/image/registry";
import { imageProcess } from "../../src/cli/run-options";
import { readElfDeps } from "../../src/image/elf";
import { cleanName } from "../../src/image/unpack";
import { containerResolvConf } from "../../src/image/container-layers";
import { lookupCredentials, saveCredentials } from "../../src/image/auth";

describe("references", () => {
  test("Docker's normalisation", () => {
    expect(refName(parseReference("busybox"))).toBe("docker.io/library/busybox:latest");
    expect(refName(parseReference("user/app:1.2"))).toBe("docker.io/user/app:1.2");
    expect(parseReference("localhost:5000/a/b:t")).toMatchObject({ registry: "localhost:5000", repository: "a/b", tag: "t" });
    expect(parseReference("127.0.0.1:5000/x")).toMatchObject({ registry: "127.0.0.1:5000", repository: "x", tag: "latest" });
    const d = `sha256:${"a".repeat(64)}`;
    expect(parseReference(`ghcr.io/o/r@${d}`)).toMatchObject({ registry: "ghcr.io", tag: null, digest: d });
    expect(familiarRepo(parseReference("busybox"))).toBe("busybox");
    expect(familiarRepo(parseReference("quay.io/a/b"))).toBe("quay.io/a/b");
  });
  test("bad references are refused by name", () => {
    expect(() => parseReference("UPPER")).toThrow("invalid repository name component");
    expect(() => parseReference("a@sha256:xyz")).toThrow("sha256:<64 hex>");
    expect(() => parseReference("a:b@c")).toThrow();
  });
  test("plain HTTP only for loopback", () => {
    expect(isLocalRegistry("localhost:5000")).toBe(true);
    expect(isLocalRegistry("127.0.0.5:80")).toBe(true);
    expect(isLocalRegistry("10.0.0.1:5000")).toBe(false);
    expect(isLocalRegistry("example.com")).toBe(false);
  });
});

describe("platforms and chain ids", () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const index: Index = {
    schemaVersion: 2,
    manifests: [
      { mediaType: "m", digest: d("1"), size: 1, platform: { os: "linux", architecture: "amd64" } },
      { mediaType: "m", digest: d("2"), size: 1, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      { mediaType: "m", digest: d("3"), size: 1, platform: { os: "linux", architecture: "arm", variant: "v7" } },
    ],
  };
  test("select by os/arch/variant; arm64 matches with or without v8", () => {
    expect(selectPlatform(index, parsePlatform("linux/amd64"))?.digest).toBe(d("1"));
    expect(selectPlatform(index, parsePlatform("linux/arm64"))?.digest).toBe(d("2"));
    expect(selectPlatform(index, parsePlatform("linux/arm/v7"))?.digest).toBe(d("3"));
    expect(selectPlatform(index, parsePlatform("linux/arm/v6"))).toBeNull();
    expect(selectPlatform(index, parsePlatform("windows/amd64"))).toBeNull();
    expect(() => parsePlatform("amd64")).toThrow("OS/ARCH");
  });
  test("chain ids follow the OCI definition", () => {
    const [a, b] = [d("a"), d("b")];
    expect(chainIds([a, b])).toEqual([a, sha256(`${a} ${b}`)]);
  });
});

describe("tar", () => {
  function parse(buf: Uint8Array, chunk = 700): { entries: TarEntry[]; data: Map<string, string> } {
    const entries: TarEntry[] = [];
    const data = new Map<string, string>();
    let cur = "";
    const p = new TarParser({
      entry: (e) => {
        entries.push(e);
        cur = e.name;
        data.set(cur, "");
      },
      data: (c) => data.set(cur, data.get(cur) + Buffer.from(c).toString()),
      entryEnd: () => {},
    });
    for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
    p.finish();
    return { entries, data };
  }

  test("reads GNU tar's output: long names, long link targets, symlinks, hardlinks, dirs", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-unit-tar-"));
    const long = `${"d".repeat(120)}/${"f".repeat(130)}`;
    fs.mkdirSync(`${dir}/${"d".repeat(120)}`);
    fs.writeFileSync(`${dir}/${long}`, "long");
    fs.symlinkSync(`/${"t".repeat(150)}`, `${dir}/longlink`);
    fs.writeFileSync(`${dir}/a`, "hello");
    fs.linkSync(`${dir}/a`, `${dir}/b`);
    for (const format of ["gnu", "posix"]) {
      const tar = Bun.spawnSync(["tar", `--format=${format}`, "-C", dir, "--sort=name", "-cf", "-", "."]).stdout;
      const { entries, data } = parse(new Uint8Array(tar));
      const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, ""), e]));
      expect(byName.get(long)?.type).toBe("file");
      expect(data.get(`./${long}`)).toBe("long");
      expect(byName.get("longlink")).toMatchObject({ type: "symlink", linkname: `/${"t".repeat(150)}` });
      expect(byName.get("b")).toMatchObject({ type: "hardlink", linkname: "./a" });
      expect(byName.get(`${"d".repeat(120)}/`)?.type).toBe("dir");
    }
    fs.rmSync(dir, { recursive: true });
  });

  test("writer → reader round trip, with PAX for long names, big ids and xattrs", () => {
    const name = `${"n".repeat(200)}/file`;
    const entries = [
      tarHeader({ name, type: "file", mode: 0o4755, uid: 3_000_000, gid: 7, size: 3, mtime: 1234, xattrs: new Map([["user.a", Buffer.from("b")]]) }),
      Buffer.from("abc"),
      tarPadding(3),
      tarHeader({ name: "link", type: "symlink", mode: 0o777, linkname: "target" }),
      TAR_END,
    ];
    const { entries: out, data } = parse(Buffer.concat(entries), 333);
    expect(out[0]).toMatchObject({ name, type: "file", mode: 0o4755, uid: 3_000_000, gid: 7, size: 3, mtime: 1234 });
    expect(out[0]!.xattrs.get("user.a")?.toString()).toBe("b");
    expect(data.get(name)).toBe("abc");
    expect(out[1]).toMatchObject({ name: "link", type: "symlink", linkname: "target" });
  });

  test("entry names are cleaned as if rooted at /", () => {
    expect(cleanName("../../etc/passwd")).toEqual(["etc", "passwd"]);
    expect(cleanName("/abs/./x//y/")).toEqual(["abs", "x", "y"]);
    expect(cleanName("a/../../b")).toEqual(["b"]);
    expect(cleanName("./")).toEqual([]);
  });
});

describe("registry auth", () => {
  test("WWW-Authenticate challenges", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" },
    });
    expect(parseChallenge('Basic realm="r"')).toEqual({ scheme: "basic", params: { realm: "r" } });
  });
  test("login writes a 0600 auth file; --creds wins; docker's config.json is read", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-unit-auth-"));
    const env = { HOME: home };
    saveCredentials("reg.example:5000", { username: "u", password: "p:w" }, env);
    expect(lookupCredentials("reg.example:5000", undefined, env)).toEqual({ username: "u", password: "p:w" });
    expect(fs.statSync(`${home}/.config/ctr/auth.json`).mode & 0o777).toBe(0o600);
    expect(lookupCredentials("reg.example:5000", "x:y", env)).toEqual({ username: "x", password: "y" });
    fs.mkdirSync(`${home}/.docker`);
    fs.writeFileSync(`${home}/.docker/config.json`, JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw").toString("base64") } } }));
    expect(lookupCredentials("docker.io", undefined, env)).toEqual({ username: "hub", password: "pw" });
    saveCredentials("reg.example:5000", null, env);
    expect(lookupCredentials("reg.example:5000", undefined, env)).toBeNull();
    fs.rmSync(home, { recursive: true });
  });
});

describe("run settings from an image", () => {
  const config = { Entrypoint: ["/ep"], Cmd: ["default"] };
  test("Docker's rules for Entrypoint, Cmd and --entrypoint", () => {
    expect(imageProcess(config, { entrypoint: undefined, args: [] })).toEqual(["/ep", "default"]);
    expect(imageProcess(config, { entrypoint: undefined, args: ["x"] })).toEqual(["/ep", "x"]);
    expect(imageProcess(config, { entrypoint: "sh", args: [] })).toEqual(["sh"]);
    expect(imageProcess(config, { entrypoint: "", args: ["ls"] })).toEqual(["ls"]);
    expect(imageProcess(null, { entrypoint: undefined, args: [] })).toEqual([]);
  });
  test("resolv.conf for an own network namespace drops loopback resolvers", () => {
    expect(containerResolvConf("nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch x\n", "none")).toBe("nameserver 10.0.0.2\nsearch x\n");
    expect(containerResolvConf("nameserver 127.0.0.53\n", "host")).toBe("nameserver 127.0.0.53\n");
  });
});

describe("ELF", () => {
  test("a dynamic host binary names its interpreter and libc", () => {
    const deps = readElfDeps(fs.readFileSync("/bin/sh"));
    expect(deps?.interpreter).toMatch(/ld-linux/);
    expect(deps?.needed).toContain("libc.so.6");
    expect(readElfDeps(Buffer.from("#!/bin/sh\n"))).toBeNull();
  });
});

import { checkManifest } from "../../src/image/pull";
describe("manifest checks", () => {
  const d = `sha256:${"1".repeat(64)}`;
  const m = (layerType: string, configType = "application/vnd.oci.image.config.v1+json") => ({
    schemaVersion: 2 as const,
    config: { mediaType: configType, digest: d, size: 1 },
    layers: [{ mediaType: layerType, digest: d, size: 1 }],
  });
  test("unknown media types are refused by name", () => {
    expect(() => checkManifest(m("application/vnd.oci.image.layer.v1.tar+gzip"), "x")).not.toThrow();
    expect(() => checkManifest(m("application/vnd.docker.image.rootfs.diff.tar.gzip"), "x")).not.toThrow();
    expect(() => checkManifest(m("application/vnd.cncf.helm.chart.content.v1.tar+gzip"), "x")).toThrow('unknown media type "application/vnd.cncf.helm.chart.content.v1.tar+gzip"');
    expect(() => checkManifest(m("application/vnd.oci.image.layer.v1.tar", "application/vnd.cncf.helm.config.v1+json"), "x")).toThrow("config: unknown media type");
  });
});

describe("Docker credential helpers", () => {
  test("credHelpers and credsStore run docker-credential-<name> get, as Docker does", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-unit-helper-"));
    const bin = `${home}/bin`;
    fs.mkdirSync(bin);
    // A helper that knows one server, and says "not found" for the rest (as the real ones do).
    fs.writeFileSync(`${bin}/docker-credential-fake`, '#!/bin/sh\nread server\nif [ "$server" = "reg.example:5000" ]; then echo \'{"ServerURL":"reg.example:5000","Username":"helped","Secret":"s3"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n', { mode: 0o755 });
    fs.mkdirSync(`${home}/.docker`);
    fs.writeFileSync(`${home}/.docker/config.json`, JSON.stringify({ credHelpers: { "reg.example:5000": "fake" }, credsStore: "fake" }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const env = { HOME: home };
      expect(lookupCredentials("reg.example:5000", undefined, env)).toEqual({ username: "helped", password: "s3" });
      expect(lookupCredentials("other.example", undefined, env)).toBeNull();
      fs.writeFileSync(`${home}/.docker/config.json`, JSON.stringify({ credsStore: "missing" }));
      expect(() => lookupCredentials("reg.example:5000", undefined, env)).toThrow("docker-credential-missing");
    } finally {
      process.env.PATH = oldPath;
      fs.rmSync(home, { recursive: true });
    }
  });
});

import { ImageStore } from "../../src/image/store";
describe("store lock", () => {
  test("nested shared holds keep the lock until the outermost unlock; GC waits for it", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-unit-store-"));
    const runner = ImageStore.open(root);
    const collector = ImageStore.open(root);
    try {
      expect(runner.lock("shared")).toBe(true); // a run, from lookup...
      expect(runner.lock("shared")).toBe(true); // ...with a pull inside
      runner.unlock(); // the pull is done
      expect(collector.gc()).toBeNull(); // the run still holds it: GC says busy
      runner.unlock(); // the container row is written
      expect(collector.gc()).toEqual({ blobs: 0, layers: 0, bytes: 0 });
    } finally {
      runner.close();
      collector.close();
      fs.rmSync(root, { recursive: true });
    }
  });
});

describe("ambiguous documents (CVE-2021-41190)", () => {
  const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  test("a manifest with manifests, an index with layers or config, and a disagreeing mediaType are refused", () => {
    expect(() => checkDocumentKind({ schemaVersion: 2, layers: [], manifests: [] }, "manifest", OCI_MANIFEST, "m")).toThrow('a manifest with a "manifests" field');
    expect(() => checkDocumentKind({ schemaVersion: 2, manifests: [], config: {} }, "index", OCI_INDEX, "i")).toThrow('an index with a "config" field');
    expect(() => checkDocumentKind({ mediaType: OCI_INDEX, layers: [] }, "manifest", OCI_MANIFEST, "m")).toThrow("disagrees with the descriptor's");
    expect(() => checkDocumentKind({ mediaType: OCI_INDEX }, "manifest", null, "m")).toThrow("is not an image manifest type");
    // A header that names no kind (application/json) is no descriptor.
    expect(() => checkDocumentKind({ mediaType: OCI_MANIFEST, layers: [] }, "manifest", "application/json", "m")).not.toThrow();
    expect(() => checkDocumentKind({ layers: [] }, "manifest", OCI_MANIFEST, "m")).not.toThrow();
    expect(() => checkDocumentKind([], "index", null, "i")).toThrow("not a JSON object");
  });
});

describe("archive member names", () => {
  test("cleaned inside the archive; climbing out is null", () => {
    expect(memberName("./a/./b/../c")).toBe("a/c");
    expect(memberName("/abs/x")).toBe("abs/x");
    expect(memberName("a/../../x")).toBeNull();
    expect(memberName("..")).toBeNull();
  });
  test("non-zero data after a tar's end blocks is refused; zero padding is fine", () => {
    const sink = { entry() {}, data() {}, entryEnd() {} };
    const body = Buffer.concat([tarHeader({ name: "a", type: "file", mode: 0o644, size: 1 }), Buffer.from("x"), tarPadding(1), TAR_END]);
    const padded = new TarParser(sink);
    padded.push(Buffer.concat([body, Buffer.alloc(8192)]));
    padded.finish();
    expect(() => new TarParser(sink).push(Buffer.concat([body, Buffer.from("junk")]))).toThrow(`data after the end of the tar archive (a non-zero byte at offset ${body.length})`);
    // A format sniff only lists names.
    expect(() => new TarParser(sink, false).push(Buffer.concat([body, Buffer.from("junk")]))).not.toThrow();
  });
  test("zlib's words become gzip's: CRC, length, truncation", () => {
    const z = (message: string, code = "Z_DATA_ERROR") => Object.assign(new Error(message), { code });
    expect(describeDecompressionError(z("incorrect data check"), "gzip").message).toContain("gzip: CRC-32 check failed");
    expect(describeDecompressionError(z("incorrect length check"), "gzip").message).toContain("gzip: length check failed");
    expect(describeDecompressionError(z("unexpected end of file", "Z_BUF_ERROR"), "gzip").message).toContain("gzip: the stream is truncated");
    expect(describeDecompressionError(z("Data corruption detected", "ZSTD_error_corruption_detected"), "zstd").message).toContain("zstd: the compressed data is corrupt");
    const other = new Error("ENOSPC");
    expect(describeDecompressionError(other, "gzip")).toBe(other);
  });
});
