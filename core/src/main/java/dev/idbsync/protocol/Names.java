package dev.idbsync.protocol;

import java.util.regex.Pattern;

/** The character rules PROTOCOL.md sets for names and client ids. */
public final class Names {
    /** db and store names: they become parts of file paths and event ids, so no '/' and no '='. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    public static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private Names() {
    }

    public static boolean isName(String s) {
        return s != null && NAME.matcher(s).matches() && !s.equals(".") && !s.equals("..");
    }

    public static boolean isClientId(String s) {
        return s != null && CLIENT_ID.matcher(s).matches();
    }
}
