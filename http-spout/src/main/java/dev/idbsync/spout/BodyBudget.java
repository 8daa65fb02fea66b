package dev.idbsync.spout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body bytes one spout task may buffer at once, across all requests (http.maxBufferedBodyBytes).
 * A request reserves room block by block as its bytes arrive ({@link Body}) and gives it all back
 * once its parsed push is handed off or refused.
 */
final class BodyBudget {
    private final long limit;
    private final AtomicLong held = new AtomicLong();

    BodyBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code n} bytes if they fit under the limit; false (and nothing taken) if not. */
    boolean tryReserve(long n) {
        while (true) {
            long h = held.get();
            if (h + n > limit) {
                return false;
            }
            if (held.compareAndSet(h, h + n)) {
                return true;
            }
        }
    }

    void release(long n) {
        held.addAndGet(-n);
    }

    /** Bytes reserved now. */
    long held() {
        return held.get();
    }

    long limit() {
        return limit;
    }

    /**
     * One request's body, grown block by block as its bytes arrive (never sized from
     * Content-Length). Blocks start at 1 KiB and double up to 64 KiB, and never take the
     * capacity past the body limit; each block's room is reserved in the budget before it is
     * allocated. Appends come from one thread (the connection's I/O thread); release may come
     * from another and happens once.
     */
    final class Body {
        static final int FIRST_BLOCK = 1024;
        static final int MAX_BLOCK = 64 * 1024;
        private final int max;
        private final List<byte[]> blocks = new ArrayList<>();
        private byte[] current;
        private int pos;
        private int size;
        private int capacity;
        private long reserved;
        private boolean released;

        /** @param max the body limit (http.maxBodyBytes): the caller never appends past it */
        Body(int max) {
            this.max = max;
        }

        int size() {
            return size;
        }

        /** Bytes this body holds reserved (its blocks' capacity). */
        synchronized long reserved() {
            return reserved;
        }

        /**
         * Appends a chunk; false when the budget has no room for the next block (nothing of the
         * chunk is then kept). The caller keeps {@code size() + chunk.length <= max}.
         */
        boolean append(byte[] chunk) {
            if (size + chunk.length > max) {
                throw new IllegalArgumentException("past the body limit");
            }
            int off = 0;
            while (off < chunk.length) {
                if (current == null || pos == current.length) {
                    int next = current == null ? FIRST_BLOCK : Math.min(current.length * 2, MAX_BLOCK);
                    next = Math.max(Math.min(next, max - capacity), 1);
                    if (!reserve(next)) {
                        return false;
                    }
                    current = new byte[next];
                    capacity += next;
                    blocks.add(current);
                    pos = 0;
                }
                int n = Math.min(chunk.length - off, current.length - pos);
                System.arraycopy(chunk, off, current, pos, n);
                pos += n;
                off += n;
                size += n;
            }
            return true;
        }

        private synchronized boolean reserve(int n) {
            if (released || !tryReserve(n)) {
                return false;
            }
            reserved += n;
            return true;
        }

        /** The bytes, in one array (the blocks stay reserved until {@link #release()}). */
        byte[] toByteArray() {
            byte[] all = new byte[size];
            int at = 0;
            for (byte[] b : blocks) {
                int n = Math.min(b.length, size - at);
                System.arraycopy(b, 0, all, at, n);
                at += n;
            }
            return all;
        }

        /** Gives the reserved bytes back and drops the blocks; later calls do nothing. */
        synchronized void release() {
            if (!released) {
                released = true;
                BodyBudget.this.release(reserved);
                blocks.clear();
                current = null;
            }
        }
    }
}
