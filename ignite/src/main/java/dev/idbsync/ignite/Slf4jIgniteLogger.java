package dev.idbsync.ignite;

import org.apache.ignite.IgniteLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Ignite's log to SLF4J, so that it lands in the same log file as Storm's. Ignite 2.18
 * ships no SLF4J module on Maven Central, and its default logger writes to the console.
 */
public final class Slf4jIgniteLogger implements IgniteLogger {
    private final Logger log;

    public Slf4jIgniteLogger(Class<?> category) {
        this(LoggerFactory.getLogger(category));
    }

    private Slf4jIgniteLogger(Logger log) {
        this.log = log;
    }

    @Override
    public IgniteLogger getLogger(Object ctgr) {
        if (ctgr == null) {
            return this;
        }
        String name = ctgr instanceof Class<?> c ? c.getName() : ctgr.toString();
        return new Slf4jIgniteLogger(LoggerFactory.getLogger(name));
    }

    @Override
    public void trace(String msg) {
        log.trace(msg);
    }

    @Override
    public void debug(String msg) {
        log.debug(msg);
    }

    @Override
    public void info(String msg) {
        log.info(msg);
    }

    @Override
    public void warning(String msg, Throwable e) {
        log.warn(msg, e);
    }

    @Override
    public void error(String msg, Throwable e) {
        log.error(msg, e);
    }

    @Override
    public boolean isTraceEnabled() {
        return log.isTraceEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
        return log.isDebugEnabled();
    }

    @Override
    public boolean isInfoEnabled() {
        return log.isInfoEnabled();
    }

    @Override
    public boolean isQuiet() {
        // Quiet mode makes Ignite print its banner and summaries to stdout; everything goes to the log instead.
        return false;
    }

    @Override
    public String fileName() {
        return null;
    }
}
