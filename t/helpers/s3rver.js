#!/usr/bin/env node
// t/helpers/s3rver.js: an S3-compatible server for mlreg's tests.
//
//   node t/helpers/s3rver.js --dir DIR --port-file FILE [--bucket NAME]...
//                            [--port N] [--watch-pid PID]
//
// Runs @20minutes/s3rver (installed by 'make test-deps' into
// t/helpers/node_modules) on 127.0.0.1, in the foreground and silently, with
// its objects under DIR (created if missing; kept across restarts), each
// --bucket created at startup.  It listens on a port the system chooses
// unless --port N is given (to restart on the same port), and writes the
// port, once it is listening, to FILE (atomically: FILE.tmp, then a rename).
// It stops on SIGTERM, SIGINT or SIGHUP, and by itself once process PID
// (--watch-pid, the test script) is gone, so a killed test leaves nothing
// behind.  Credentials are S3RVER / S3RVER; it checks SigV2/SigV4
// signatures (and lets unsigned requests through).  t/lib-s3.sh starts it.
//
// s3rver's ListObjectsV2 continuation tokens are DES-encrypted, which
// OpenSSL 3 keeps in its legacy provider: run node with
// NODE_OPTIONS=--openssl-legacy-provider (t/lib-s3.sh does).  Without it this
// script maps s3rver's single DES-CBC onto 3DES-CBC with three equal keys,
// which is the same cipher, so paging works either way.
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')

function usage(msg) {
  if (msg) process.stderr.write(`s3rver.js: ${msg}\n`)
  process.stderr.write(
    'usage: s3rver.js --dir DIR --port-file FILE [--bucket NAME]... [--port N] [--watch-pid PID]\n'
  )
  process.exit(2)
}

const opts = { dir: null, portFile: null, buckets: [], port: 0, watchPid: 0 }
{
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case '--dir':
        opts.dir = val()
        break
      case '--port-file':
        opts.portFile = val()
        break
      case '--bucket':
        opts.buckets.push(val())
        break
      case '--port':
        opts.port = Number(val())
        if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage('bad --port')
        break
      case '--watch-pid':
        opts.watchPid = Number(val())
        if (!Number.isInteger(opts.watchPid) || opts.watchPid < 0) usage('bad --watch-pid')
        break
      default:
        usage(`unknown argument ${a}`)
    }
  }
  if (!opts.dir || !opts.portFile) usage('--dir and --port-file are required')
}

// DES without the legacy provider: DES-EDE3 with K1 = K2 = K3 is DES.
function desWorks() {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8))
    return true
  } catch (_e) {
    return false
  }
}
if (!desWorks()) {
  const wrap = (orig) =>
    function (algorithm, key, iv, ...rest) {
      if (typeof algorithm === 'string' && /^des(-cbc)?$/i.test(algorithm)) {
        const k = Buffer.from(key)
        if (k.length === 8) return orig.call(this, 'des-ede3-cbc', Buffer.concat([k, k, k]), iv, ...rest)
      }
      return orig.call(this, algorithm, key, iv, ...rest)
    }
  crypto.createCipheriv = wrap(crypto.createCipheriv)
  crypto.createDecipheriv = wrap(crypto.createDecipheriv)
}

// Debian 12's node is 18; @koa/router wants 20 for Array.prototype.toReversed
// (ES2023).  The change-array-by-copy methods, where missing:
for (const [name, fn] of Object.entries({
  toReversed() {
    return Array.prototype.slice.call(this).reverse()
  },
  toSorted(cmp) {
    return Array.prototype.slice.call(this).sort(cmp)
  },
  toSpliced(...args) {
    const copy = Array.prototype.slice.call(this)
    copy.splice(...args)
    return copy
  },
  with(index, value) {
    const copy = Array.prototype.slice.call(this)
    const i = Math.trunc(index) || 0
    const at = i < 0 ? copy.length + i : i
    if (at < 0 || at >= copy.length) throw new RangeError('Invalid index')
    copy[at] = value
    return copy
  },
})) {
  if (typeof Array.prototype[name] !== 'function') {
    Object.defineProperty(Array.prototype, name, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
}

let S3rver
try {
  S3rver = require('@20minutes/s3rver')
} catch (e) {
  process.stderr.write(
    `s3rver.js: cannot load @20minutes/s3rver (run 'make test-deps'): ${e.message}\n`
  )
  process.exit(3)
}

function stop() {
  // Nothing to flush: s3rver writes each object before it answers.
  process.exit(0)
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop)

// The watched process is gone when kill(0) fails or it is a zombie (its
// parent has not reaped it yet).
function watchedGone(pid) {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return e.code === 'ESRCH'
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch (_e) {
    return false
  }
}
if (opts.watchPid > 0) {
  setInterval(() => {
    if (watchedGone(opts.watchPid)) stop()
  }, 300).unref()
}

async function main() {
  fs.mkdirSync(opts.dir, { recursive: true })
  const server = new S3rver({
    directory: opts.dir,
    address: '127.0.0.1',
    port: opts.port,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
  })
  // Listen with node's defaults, then relax the timeouts: an idle keep-alive
  // connection is never closed by the server (so a client, or the fault
  // proxy, reusing one never races the server's 5 s close), and a slow
  // request is never cut.
  const addr = await server.run()
  const hs = server.httpServer
  hs.keepAliveTimeout = 0
  hs.requestTimeout = 0
  hs.headersTimeout = 0
  hs.timeout = 0
  const tmp = `${opts.portFile}.tmp`
  fs.writeFileSync(tmp, `${addr.port}\n`)
  fs.renameSync(tmp, opts.portFile)
}

main().catch((e) => {
  process.stderr.write(`s3rver.js: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
