package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {
    @Test
    void reservesUpToTheLimitAndRefusesPastItWithoutReservingAnything() {
        BodyBudget b = new BodyBudget(100);
        assertTrue(b.tryReserve(60));
        assertTrue(b.tryReserve(40));
        assertFalse(b.tryReserve(1), "the limit is reached");
        assertEquals(100, b.used());
        b.release(40);
        assertFalse(b.tryReserve(41), "a chunk that does not fit is refused whole");
        assertEquals(60, b.used());
        assertTrue(b.tryReserve(40));
    }

    @Test
    void releasingMoreThanWasReservedIsABug() {
        BodyBudget b = new BodyBudget(10);
        b.tryReserve(5);
        assertThrows(IllegalStateException.class, () -> b.release(6));
    }

    @Test
    void concurrentReservationsNeverPassTheLimit() throws Exception {
        BodyBudget b = new BodyBudget(1000);
        AtomicLong granted = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] fs = new Future<?>[4];
            for (int t = 0; t < 4; t++) {
                fs[t] = pool.submit(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        if (b.tryReserve(7)) {
                            granted.addAndGet(7);
                        }
                    }
                });
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(granted.get(), b.used());
        assertTrue(b.used() <= 1000 && b.used() > 1000 - 7, "filled to the limit and not past it: " + b.used());
    }
}
