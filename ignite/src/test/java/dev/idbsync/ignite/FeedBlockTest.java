package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.resolve.RecordState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stored block as a reader sees it. */
class FeedBlockTest {
    private static RecordState version(String key, long v) {
        return new RecordState("notes-app", "notes", TextNode.valueOf(key), Op.PUT,
                Json.MAPPER.createObjectNode().put("title", key), v, "c1", v, 1L, 2L, List.of());
    }

    @Test
    void aBlockHoldsThePositionsAfterItsStartOneVersionEach() {
        FeedBlock b = FeedBlock.parse(4, Feed.block(List.of(version("a", 1), version("b", 3))));
        assertEquals(4, b.start());
        assertEquals(6, b.end());
        assertEquals(new FeedBlock.Version("notes", "\"a\"", 1), b.at(5));
        assertEquals(new FeedBlock.Version("notes", "\"b\"", 3), b.at(6));
    }

    @Test
    void anEntryWrittenBeforeBlocksIsABlockOfOneWithItsKeyCanonical() {
        FeedBlock b = FeedBlock.parse(0, "{\"store\":\"notes\",\"key\":[\"2026\",7],\"version\":2}");
        assertEquals(1, b.end());
        assertEquals(new FeedBlock.Version("notes", "[\"2026\",7]", 2), b.at(1));
    }

    @Test
    void noEntryOrOneNotInIdbsyncsFormatIsNoBlock() {
        assertNull(FeedBlock.parse(0, null));
        for (String bad : List.of("{not json", "[]", "{\"store\":7,\"key\":\"a\",\"version\":1}",
                "{\"store\":\"notes\",\"key\":\"a\",\"version\":\"1\"}", "{\"store\":\"notes\",\"version\":1}")) {
            assertNull(FeedBlock.parse(0, bad), bad);
        }
    }
}
