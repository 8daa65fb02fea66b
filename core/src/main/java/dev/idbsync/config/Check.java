package dev.idbsync.config;

/** The checks every config builder uses, so that every message has one shape: key, value, what is allowed. */
final class Check {
    private Check() {
    }

    static int range(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " is not allowed; use an integer from "
                    + min + " to " + max);
        }
        return value;
    }

    static long range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " is not allowed; use an integer from "
                    + min + " to " + max);
        }
        return value;
    }

    static String notBlank(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": " + (value == null ? "missing" : "\"" + value + "\"")
                    + " is not allowed; give a non-empty string");
        }
        return value;
    }

    /** Checks a "host:port" address and returns it. */
    static String address(String key, String value) {
        notBlank(key, value);
        int colon = value.lastIndexOf(':');
        String what = key + ": \"" + value + "\" is not allowed; use host:port with a port from 1 to 65535";
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(what);
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(what);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what);
        }
        return value;
    }
}
