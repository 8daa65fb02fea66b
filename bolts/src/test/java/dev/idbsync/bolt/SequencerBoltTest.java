package dev.idbsync.bolt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SequencerBoltTest {
    private static SyncConfig load(String file) {
        return ConfigLoader.load(Path.of("..", "conf", file).toAbsolutePath().normalize());
    }

    @Test
    void aChangeInFlightIsTakenBackOnceItsPushsDeadlineHasPassed() {
        // conf/cluster.yaml: requestTimeoutMs 6000, messageTimeoutSecs 10: the push's deadline + 1 s
        assertEquals(7_000, SequencerBolt.inFlightTimeoutMs(load("cluster.yaml")));
    }

    @Test
    void orAfterTheMessageTimeoutPlusFiveSecondsWhenThatComesFirst() {
        // conf/local.yaml: requestTimeoutMs 35000, messageTimeoutSecs 30
        assertEquals(35_000, SequencerBolt.inFlightTimeoutMs(load("local.yaml")));
    }
}
