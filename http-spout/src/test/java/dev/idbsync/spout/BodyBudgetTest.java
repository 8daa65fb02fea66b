package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {
    private static final int FOUR_MIB = 4 * 1024 * 1024;

    @Test
    void aBodyReservesWhatArrivedNotWhatWasAnnounced() {
        BodyBudget budget = new BodyBudget(64L * 1024 * 1024);
        BodyBudget.Body body = budget.new Body(FOUR_MIB);
        assertEquals(0, budget.held(), "nothing is reserved before a byte arrives");
        assertTrue(body.append("{\"db\":1}".getBytes()));
        assertEquals(1024, budget.held(), "one first block of 1 KiB, whatever Content-Length said");
    }

    @Test
    void blocksGrowWithTheBodyAndNeverPastItsLimit() {
        BodyBudget budget = new BodyBudget(64L * 1024 * 1024);
        int max = 300_000;
        BodyBudget.Body body = budget.new Body(max);
        byte[] sent = new byte[max];
        for (int i = 0; i < max; i++) {
            sent[i] = (byte) i;
        }
        for (int off = 0; off < max; off += 1000) {
            assertTrue(body.append(Arrays.copyOfRange(sent, off, off + 1000)));
            assertTrue(budget.held() <= off + 1000 + BodyBudget.Body.MAX_BLOCK,
                    "reserved " + budget.held() + " for " + (off + 1000) + " bytes");
        }
        assertTrue(budget.held() <= max, "the capacity stops at the body limit: " + budget.held());
        assertArrayEquals(sent, body.toByteArray());
    }

    @Test
    void aTrickleOfSingleBytesCostsItsBytesNotAnArrayEach() {
        BodyBudget budget = new BodyBudget(64L * 1024 * 1024);
        BodyBudget.Body body = budget.new Body(FOUR_MIB);
        for (int i = 0; i < 100_000; i++) {
            assertTrue(body.append(new byte[] {'x'}));
        }
        assertEquals(100_000, body.size());
        assertTrue(budget.held() < 100_000 + BodyBudget.Body.MAX_BLOCK, "reserved " + budget.held());
    }

    @Test
    void pastTheBudgetAnAppendIsRefusedAndReleaseGivesEverythingBackOnce() {
        BodyBudget budget = new BodyBudget(100_000);
        BodyBudget.Body a = budget.new Body(FOUR_MIB);
        BodyBudget.Body b = budget.new Body(FOUR_MIB);
        assertTrue(a.append(new byte[60_000]));
        long heldByA = budget.held();
        assertFalse(b.append(new byte[60_000]), "the two bodies do not fit in 100,000 bytes");
        assertTrue(budget.held() <= 100_000, "held " + budget.held());
        a.release();
        a.release();
        assertEquals(budget.held(), b.reserved(), "a's " + heldByA + " bytes came back, once");
        b.release();
        assertEquals(0, budget.held());
        BodyBudget.Body c = budget.new Body(FOUR_MIB);
        assertTrue(c.append(new byte[50_000]), "room again after the release");
    }

    @Test
    void aReleasedBodyTakesNothingMore() {
        BodyBudget budget = new BodyBudget(1_000_000);
        BodyBudget.Body body = budget.new Body(FOUR_MIB);
        body.release();
        assertFalse(body.append(new byte[10]));
        assertEquals(0, budget.held());
    }
}
