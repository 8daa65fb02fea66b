package dev.idbsync.sequence;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pushes the sequencer refused part way (pending or out of order): every later change of such a
 * push gets the same answer. Bounded: the oldest are forgotten past {@link #MAX}, and those
 * refused before a given time are forgotten on request (their clients retry with new pushes).
 */
final class BlockedPushes {
    /** Most refused pushes remembered at once. */
    static final int MAX = 100_000;

    /** When each refused push was refused, oldest first. */
    private final Map<String, Long> blockedAt = new LinkedHashMap<>();
    private final Map<String, Sequencer.Outcome> outcomes = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Sequencer.Outcome> eldest) {
            if (size() > MAX) {
                blockedAt.remove(eldest.getKey());
                return true;
            }
            return false;
        }
    };

    /** The answer given to this push's refused change, or null when none of it was refused. */
    Sequencer.Outcome get(String push) {
        return outcomes.get(push);
    }

    Sequencer.Outcome block(String push, Sequencer.Outcome o, long now) {
        outcomes.put(push, o);
        blockedAt.put(push, now);
        return o;
    }

    boolean contains(String push) {
        return outcomes.containsKey(push);
    }

    void forgetBefore(long before) {
        for (var it = blockedAt.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() >= before) {
                break;
            }
            outcomes.remove(e.getKey());
            it.remove();
        }
    }
}
