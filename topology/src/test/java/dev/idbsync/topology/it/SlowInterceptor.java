package dev.idbsync.topology.it;

import java.util.List;
import org.apache.flume.Context;
import org.apache.flume.Event;
import org.apache.flume.interceptor.Interceptor;

/** A Flume interceptor for the tests: it makes a real agent slow by waiting before each batch. */
public class SlowInterceptor implements Interceptor {
    private final long sleepMs;

    SlowInterceptor(long sleepMs) {
        this.sleepMs = sleepMs;
    }

    @Override
    public void initialize() {
    }

    @Override
    public Event intercept(Event event) {
        return event;
    }

    @Override
    public List<Event> intercept(List<Event> events) {
        try {
            Thread.sleep(sleepMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return events;
    }

    @Override
    public void close() {
    }

    public static class Builder implements Interceptor.Builder {
        private long sleepMs;

        @Override
        public Interceptor build() {
            return new SlowInterceptor(sleepMs);
        }

        @Override
        public void configure(Context context) {
            sleepMs = context.getLong("sleepMs", 5000L);
        }
    }
}
