package dev.idbsync.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Checks one answer against the request it answers: 200, and for a push one result per change in
 * seq order, each {@code applied} or {@code conflict}; {@code duplicate} only on a resend, and
 * {@code pending} on a resend means "ask again" (the first attempt is still being processed).
 */
final class AnswerCheck {
    /** What the client does with the answer. */
    enum Verdict { OK, WRONG, RETRY }

    /** The verdict; for WRONG what is wrong, for OK the number of conflict results. */
    record Answer(Verdict verdict, String problem, int conflicts) {
        static Answer wrong(String problem) {
            return new Answer(Verdict.WRONG, problem, 0);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Answer RETRY = new Answer(Verdict.RETRY, null, 0);

    private AnswerCheck() {
    }

    /** The answer {@code r} to a request of {@code changes} changes from seq {@code first}, sent again if {@code resend}. */
    static Answer check(RawHttp.Response r, LoadDriver.Wire wire, int changes, long first, boolean resend) {
        if (r.status() != 200) {
            return Answer.wrong("HTTP " + r.status() + " " + abbreviate(r.text()));
        }
        if (wire == LoadDriver.Wire.FLUME_JSON) {
            return new Answer(Verdict.OK, null, 0);
        }
        JsonNode root;
        try {
            root = JSON.readTree(r.body());
        } catch (IOException e) {
            return Answer.wrong("the answer is not JSON: " + abbreviate(r.text()));
        }
        JsonNode results = root == null ? null : root.get("results");
        if (results == null || !results.isArray() || results.size() != changes) {
            return Answer.wrong("expected " + changes + " results, got " + abbreviate(r.text()));
        }
        int conflictCount = 0;
        for (int i = 0; i < results.size(); i++) {
            JsonNode res = results.get(i);
            long seq = res.path("seq").asLong(-1);
            String status = res.path("status").asText("");
            if (seq != first + i) {
                return Answer.wrong("result " + i + " has seq " + seq + ", expected " + (first + i));
            }
            switch (status) {
                case "applied" -> {
                }
                case "conflict" -> conflictCount++;
                // a resend after a 503 or a lost answer: what the first attempt decided comes back
                case "duplicate" -> {
                    if (!resend) {
                        return Answer.wrong("seq " + seq + " is duplicate on its first send: " + abbreviate(res.toString()));
                    }
                }
                case "pending" -> {
                    if (resend) {
                        return RETRY; // the first attempt is still being processed
                    }
                    return Answer.wrong("seq " + seq + " is pending on its first send: " + abbreviate(res.toString()));
                }
                default -> {
                    return Answer.wrong("seq " + seq + " is " + abbreviate(res.toString()));
                }
            }
        }
        return new Answer(Verdict.OK, null, conflictCount);
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
