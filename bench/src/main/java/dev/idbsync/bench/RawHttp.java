package dev.idbsync.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over one kept-alive socket, for one virtual client (one thread).
 * The load generator shares the machine with the target, so it is kept cheap: no selector
 * thread, no futures, one blocking write and one blocking read per request. It understands
 * what the four targets answer: {@code Content-Length} and {@code chunked} bodies, and
 * {@code Connection: close}.
 */
final class RawHttp implements AutoCloseable {
    /** One answer: the status, its {@code Retry-After} (seconds, or -1) and its body. */
    record Response(int status, int retryAfter, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String host;
    private final int port;
    private final int timeoutMs;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawHttp(String host, int port, int timeoutMs) {
        this.host = host;
        this.port = port;
        this.timeoutMs = timeoutMs;
    }

    Response post(String path, byte[] body) throws IOException {
        if (socket == null) {
            connect();
        }
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try {
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            out.write(all);
            out.flush();
            return read();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(timeoutMs);
        s.connect(new InetSocketAddress(host, port), 5_000);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        out = s.getOutputStream();
    }

    private Response read() throws IOException {
        String status = line();
        // HTTP/1.1 200 OK
        int sp = status.indexOf(' ');
        if (!status.startsWith("HTTP/") || sp < 0 || status.length() < sp + 4) {
            throw new IOException("not an HTTP status line: " + status);
        }
        int code = Integer.parseInt(status.substring(sp + 1, sp + 4));
        long length = -1;
        boolean chunked = false;
        boolean closeAfter = status.startsWith("HTTP/1.0");
        int retryAfter = -1;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> closeAfter = value.equalsIgnoreCase("close");
                case "retry-after" -> {
                    try {
                        retryAfter = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        retryAfter = 1;
                    }
                }
                default -> {
                }
            }
        }
        byte[] body;
        if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line();
                int semi = sizeLine.indexOf(';');
                int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    for (String t = line(); !t.isEmpty(); t = line()) {
                        // trailers
                    }
                    break;
                }
                b.write(exactly(size));
                line();
            }
            body = b.toByteArray();
        } else if (length >= 0) {
            body = exactly((int) length);
        } else if (code == 204 || code == 304) {
            body = new byte[0];
        } else {
            body = in.readAllBytes(); // no length: the body ends with the connection
            closeAfter = true;
        }
        if (closeAfter) {
            close();
        }
        return new Response(code, retryAfter, body);
    }

    private byte[] exactly(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("the connection closed " + b.length + " bytes into a body of " + n);
        }
        return b;
    }

    private final StringBuilder lineBuf = new StringBuilder(128);

    private String line() throws IOException {
        lineBuf.setLength(0);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the server closed the connection");
            }
            if (c == '\n') {
                int n = lineBuf.length();
                if (n > 0 && lineBuf.charAt(n - 1) == '\r') {
                    lineBuf.setLength(n - 1);
                }
                return lineBuf.toString();
            }
            lineBuf.append((char) c);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
