'use strict';
// pq_smtp.js — a small SMTP client and server with STARTTLS on Node's TLS
// stack (OpenSSL 3.5: X25519MLKEM768), for the post-quantum captures.
// Only the standard library. Every run appends one JSON line to LOG.
//
//   node pq_smtp.js server ADDR PORT HOSTNAME KEY CERT GROUPS LOG
//       SMTP server: banner, EHLO with STARTTLS, 220, then TLS over the same
//       socket (tls.TLSSocket, isServer); inside TLS: EHLO, MAIL, RCPT,
//       DATA, QUIT. GROUPS is the ecdhCurve (OpenSSL groups list) or "auto".
//   node pq_smtp.js client LOCAL HOST PORT SNI CAFILE GROUPS RCPT LOG
//       EHLO, STARTTLS, 220, tls.connect({socket}), EHLO, one message, QUIT;
//       GROUPS "plain": no STARTTLS, the message in plain text.
//       Exit 0 when the message was accepted, 2 when the connection failed
//       (reset, close or TLS error), with the reason in the log line.
const net = require('net');
const tls = require('tls');
const fs = require('fs');

function logLine(file, obj) {
    fs.appendFileSync(file, JSON.stringify(obj) + '\n');
}

// reads SMTP replies (multi-line "250-" ... "250 ") from a stream
function replyReader(stream) {
    let buf = '';
    const waiting = [];
    const replies = [];
    let lines = [];
    stream.on('data', (d) => {
        buf += d.toString('latin1');
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 2);
            lines.push(line);
            if (line.length < 4 || line[3] !== '-') {
                replies.push({code: parseInt(line.slice(0, 3), 10), lines});
                lines = [];
            }
        }
        while (waiting.length && replies.length) waiting.shift()(replies.shift());
    });
    return () => new Promise((resolve) => {
        if (replies.length) resolve(replies.shift());
        else waiting.push(resolve);
    });
}

function expect(reply, code, what) {
    if (reply.code !== code) throw new Error(what + ': ' + reply.lines.join(' | '));
}

async function client(argv) {
    const [local, host, port, sni, cafile, groups, rcpt, logf] = argv;
    const out = {role: 'client', local, host, port: Number(port), sni, groups,
                 node: process.version, openssl: process.versions.openssl};
    const sock = net.connect({host, port: Number(port), localAddress: local});
    let tsock = null;
    let quitting = false;
    const failed = new Promise((_, reject) => {
        sock.on('error', (e) => { if (!quitting) reject(e); });
        sock.on('close', () => { if (!quitting) reject(new Error('connection closed')); });
    });
    failed.catch(() => {});
    const run = async () => {
        await new Promise((r) => sock.once('connect', r));
        out.local_port = sock.localPort;
        const next = replyReader(sock);
        expect(await next(), 220, 'banner');
        sock.write('EHLO client.example.com\r\n');
        const ehlo = await next();
        expect(ehlo, 250, 'EHLO');
        out.starttls_offered = ehlo.lines.some((l) => l.slice(4).toUpperCase() === 'STARTTLS');
        if (groups === 'plain') return deliver(sock, next);
        sock.write('STARTTLS\r\n');
        const st = await next();
        out.starttls_reply = st.code;
        expect(st, 220, 'STARTTLS');
        sock.removeAllListeners('data');
        const opts = {socket: sock, servername: sni, ca: fs.readFileSync(cafile), minVersion: 'TLSv1.3'};
        if (groups !== 'auto') opts.ecdhCurve = groups;
        tsock = tls.connect(opts);
        await new Promise((resolve, reject) => {
            tsock.once('secureConnect', resolve);
            tsock.once('error', reject);
        });
        out.tls = {version: tsock.getProtocol(), cipher: tsock.getCipher().standardName,
                   ephemeral: tsock.getEphemeralKeyInfo(), authorized: tsock.authorized};
        const tnext = replyReader(tsock);
        tsock.write('EHLO client.example.com\r\n');
        expect(await tnext(), 250, 'EHLO in TLS');
        return deliver(tsock, tnext);
    };
    // one message, then QUIT, on stream s (TLS, or the plain socket)
    const deliver = async (s, rd) => {
        s.write('MAIL FROM:<sender@example.com>\r\n');
        expect(await rd(), 250, 'MAIL');
        s.write('RCPT TO:<' + rcpt + '>\r\n');
        expect(await rd(), 250, 'RCPT');
        s.write('DATA\r\n');
        expect(await rd(), 354, 'DATA');
        s.write('From: <sender@example.com>\r\nTo: <' + rcpt + '>\r\nSubject: node ' + groups +
                '\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n' +
                'This is a corpus test message.\r\nIt has a fixed body.\r\n.\r\n');
        expect(await rd(), 250, 'message');
        out.messages = 1;
        s.write('QUIT\r\n');
        expect(await rd(), 221, 'QUIT');
        quitting = true;
        // close after the server: its close_notify and FIN are read, no reset
        const closed = new Promise((r) => s.once('close', r));
        s.end();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
    };
    try {
        await Promise.race([run(), failed]);
        out.result = 'sent';
        logLine(logf, out);
        return 0;
    } catch (e) {
        out.result = 'failed';
        out.error = e.code || e.message;
        logLine(logf, out);
        sock.destroy();
        return 2;
    }
}

function server(argv) {
    const [addr, port, hostname, key, cert, groups, logf] = argv;
    const ctxOpts = {key: fs.readFileSync(key), cert: fs.readFileSync(cert), minVersion: 'TLSv1.2'};
    if (groups !== 'auto') ctxOpts.ecdhCurve = groups;
    const ctx = tls.createSecureContext(ctxOpts);
    const ehlo = (tlsOn) => '250-' + hostname + '\r\n250-PIPELINING\r\n250-8BITMIME\r\n' +
        (tlsOn ? '250 SIZE 10240000\r\n' : '250-SIZE 10240000\r\n250 STARTTLS\r\n');
    // one SMTP dialogue on stream s; returns when STARTTLS was answered 220
    function dialogue(s, tlsOn, rec, onStarttls) {
        let buf = '';
        let inData = false;
        const onData = (d) => {
            buf += d.toString('latin1');
            for (;;) {
                if (inData) {
                    const end = buf.indexOf('\r\n.\r\n');
                    if (end < 0) return;
                    buf = buf.slice(end + 5);
                    inData = false;
                    rec.messages += 1;
                    s.write('250 2.0.0 Ok: queued\r\n');
                    continue;
                }
                const i = buf.indexOf('\r\n');
                if (i < 0) return;
                const line = buf.slice(0, i);
                buf = buf.slice(i + 2);
                const verb = line.split(' ')[0].toUpperCase();
                if (verb === 'EHLO') s.write(ehlo(tlsOn));
                else if (verb === 'MAIL' || verb === 'RCPT') s.write('250 2.1.0 Ok\r\n');
                else if (verb === 'DATA') { s.write('354 End data with <CR><LF>.<CR><LF>\r\n'); inData = true; }
                else if (verb === 'QUIT') { s.end('221 2.0.0 Bye\r\n'); return; }
                else if (verb === 'STARTTLS' && !tlsOn) {
                    s.removeListener('data', onData);
                    s.write('220 2.0.0 Ready to start TLS\r\n', () => onStarttls());
                    return;
                } else s.write('502 5.5.2 Error: command not recognized\r\n');
            }
        };
        s.on('data', onData);
    }
    const srv = net.createServer((sock) => {
        const rec = {role: 'server', addr, port: Number(port), groups, peer_port: sock.remotePort, messages: 0,
                     node: process.version, openssl: process.versions.openssl};
        sock.on('error', (e) => { rec.error = e.code || e.message; });
        sock.write('220 ' + hostname + ' ESMTP ready\r\n');
        dialogue(sock, false, rec, () => {
            const t = new tls.TLSSocket(sock, {isServer: true, secureContext: ctx});
            t.on('secure', () => {
                rec.tls = {version: t.getProtocol(), cipher: t.getCipher().standardName};
                dialogue(t, true, rec, null);
            });
            t.on('error', (e) => { rec.tls_error = e.code || e.message; });
            t.on('close', () => logLine(logf, rec));
        });
    });
    srv.listen(Number(port), addr, () => logLine(logf, {role: 'server', listening: addr + ':' + port, groups}));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') server(rest);
else if (mode === 'client') client(rest).then((rc) => process.exit(rc));
else { console.error('usage: pq_smtp.js server|client ...'); process.exit(64); }
