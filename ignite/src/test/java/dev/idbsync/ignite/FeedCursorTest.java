package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.protocol.ProtocolException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The checks a cursor passes before a page reads anything for it. */
class FeedCursorTest {
    private static String cursor(Map<Integer, Feed.Position> positions) {
        return Feed.encodeCursor(new TreeMap<>(positions));
    }

    private static ProtocolException refused(Runnable r) {
        ProtocolException e = assertThrows(ProtocolException.class, r::run);
        assertEquals("bad_cursor", e.code());
        assertEquals(400, e.httpStatus());
        return e;
    }

    @Test
    void noCursorStartsEveryPartitionAtItsBeginning() {
        FeedCursor c = FeedCursor.parse(null, 4);
        assertEquals(Map.of(), c.positions());
        assertFalse(c.names(0));
        assertEquals(Feed.Position.at(0), c.at(3));
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(c.partitions(4)));
    }

    @Test
    void theCursorsPositionsAreWhereAPageStartsAndItsPartitionsAreRead() {
        FeedCursor c = FeedCursor.parse(cursor(Map.of(1, Feed.Position.at(7), 2, new Feed.Position(3, 5))), 64);
        assertTrue(c.names(1));
        assertEquals(Feed.Position.at(7), c.at(1));
        assertEquals(new Feed.Position(3, 5), c.at(2));
        assertEquals(64, c.partitions(64).size());
        assertEquals(0, c.partitions(64).first());
    }

    @Test
    void aCursorLongerThanThisServerCanGiveIsRefusedBeforeItIsDecoded() {
        String tooLong = "c1." + "A".repeat(Feed.maxCursorChars(2));
        assertTrue(refused(() -> FeedCursor.parse(tooLong, 2)).getMessage().contains("characters long"));
    }

    @Test
    void aPartitionPastTheProbedOnesIsRefused() {
        String c = cursor(Map.of(4, Feed.Position.at(1)));
        assertTrue(refused(() -> FeedCursor.parse(c, 4)).getMessage().contains("partitions 0 to 3"));
        assertEquals(Feed.Position.at(1), FeedCursor.parse(c, 5).at(4));
    }

    @Test
    void aPositionInsideABlockLongerThanAnyBlockIsRefused() {
        String longest = cursor(Map.of(0, new Feed.Position(10, 10 + FeedCursor.MAX_BLOCK)));
        assertEquals(10 + FeedCursor.MAX_BLOCK, FeedCursor.parse(longest, 1).at(0).read());
        String longer = cursor(Map.of(0, new Feed.Position(10, 11 + FeedCursor.MAX_BLOCK)));
        assertTrue(refused(() -> FeedCursor.parse(longer, 1)).getMessage().contains("inside a block longer"));
    }

    @Test
    void aCursorAheadOfAHeadIsRefusedAndPartitionsItDoesNotNameAreNotChecked() {
        FeedCursor c = FeedCursor.parse(cursor(Map.of(0, Feed.Position.at(5))), 2);
        c.checkNotAhead(0, 5);
        c.checkNotAhead(1, 0);
        assertTrue(refused(() -> c.checkNotAhead(0, 4)).getMessage().contains("another server's data"));
    }

    @Test
    void aCursorBehindWhatRetentionRemovedIsAnswered410ResyncAndAPullFromTheBeginningStartsAfterIt() {
        FeedCursor behind = FeedCursor.parse(cursor(Map.of(0, Feed.Position.at(7))), 4);
        ProtocolException e = assertThrows(ProtocolException.class, () -> behind.from(0, 8));
        assertEquals(410, e.httpStatus());
        assertEquals("resync", e.code());
        assertTrue(e.getMessage().contains("pull again without since"), e.getMessage());
        assertEquals(Feed.Position.at(7), behind.from(0, 7), "read up to the trimmed mark: nothing missed");
        // a partition the cursor does not name was empty when it was given: removed entries were missed
        assertEquals("resync", assertThrows(ProtocolException.class, () -> behind.from(1, 3)).code());
        assertEquals(Feed.Position.at(0), behind.from(2, 0));
        // no cursor: from the beginning, which now is the trimmed mark
        FeedCursor none = FeedCursor.parse(null, 4);
        assertEquals(Feed.Position.at(8), none.from(0, 8));
        // a cursor of a feed that had no entry yet still says the client read it up to then
        FeedCursor empty = FeedCursor.parse(cursor(Map.of()), 4);
        assertEquals("resync", assertThrows(ProtocolException.class, () -> empty.from(0, 1)).code());
    }
}
