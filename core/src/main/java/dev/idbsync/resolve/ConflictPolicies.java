package dev.idbsync.resolve;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.List;

/** The conflict policy a store's {@code policy} setting names. */
public final class ConflictPolicies {
    /** The prefix of a user's policy class: {@code custom:com.example.MyPolicy}. */
    public static final String CUSTOM_PREFIX = "custom:";

    /** The built-in policy names. */
    public static final List<String> BUILT_IN = List.of(
            LastWriterWins.NAME, ServerWins.NAME, ClientWins.NAME, FieldMerge.NAME);

    private ConflictPolicies() {
    }

    /**
     * The policy for a configured name: {@code lww}, {@code server-wins}, {@code client-wins},
     * {@code merge}, or {@code custom:<fully.qualified.ClassName>}, a public class with a public
     * no-argument constructor implementing {@link ConflictPolicy}, loaded with {@code loader}
     * and created anew on each call.
     *
     * @throws IllegalArgumentException when the name is unknown or the custom class cannot be
     *                                  used; the message names the class and what is wrong
     */
    public static ConflictPolicy forName(String name, ClassLoader loader) {
        if (name == null) {
            throw new IllegalArgumentException("no conflict policy named; use lww, server-wins, client-wins, merge"
                    + " or custom:<fully.qualified.ClassName>");
        }
        switch (name) {
            case LastWriterWins.NAME:
                return new LastWriterWins();
            case ServerWins.NAME:
                return new ServerWins();
            case ClientWins.NAME:
                return new ClientWins();
            case FieldMerge.NAME:
                return new FieldMerge();
            default:
                break;
        }
        if (!name.startsWith(CUSTOM_PREFIX)) {
            throw new IllegalArgumentException("unknown conflict policy \"" + name + "\"; use lww, server-wins,"
                    + " client-wins, merge or custom:<fully.qualified.ClassName>");
        }
        return custom(name.substring(CUSTOM_PREFIX.length()), loader);
    }

    private static ConflictPolicy custom(String className, ClassLoader loader) {
        String what = "conflict policy custom:" + className + ": class " + className;
        if (className.isBlank()) {
            throw new IllegalArgumentException("conflict policy \"custom:\" names no class; use"
                    + " custom:<fully.qualified.ClassName>");
        }
        Class<?> type;
        try {
            type = Class.forName(className, false, loader != null ? loader : ConflictPolicies.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(what + " not found; put the jar that holds it on the topology's"
                    + " classpath and check the spelling (a nested class is Outer$Inner)");
        } catch (LinkageError e) {
            throw new IllegalArgumentException(what + " could not be loaded: " + e, e);
        }
        if (!ConflictPolicy.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(what + " does not implement " + ConflictPolicy.class.getName()
                    + (implementsByName(type)
                    ? " as loaded by idbsync (its jar carries its own copy of idbsync's classes; leave them out of it)"
                    : ""));
        }
        int mod = type.getModifiers();
        if (type.isInterface() || Modifier.isAbstract(mod)) {
            throw new IllegalArgumentException(what + " is abstract; name a concrete class");
        }
        if (!Modifier.isPublic(mod)) {
            throw new IllegalArgumentException(what + " is not public; make it public");
        }
        if (type.getEnclosingClass() != null && !Modifier.isStatic(mod)) {
            throw new IllegalArgumentException(what + " is an inner class; make it a static nested or top-level class");
        }
        Constructor<?> constructor;
        try {
            constructor = type.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(what + " has no public no-argument constructor; add one");
        }
        try {
            return (ConflictPolicy) constructor.newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(what + ": its constructor threw " + cause, cause);
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(what + ": its static initializer threw " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalArgumentException(what + " could not be created: " + e, e);
        }
    }

    /** Whether the class implements an interface named like ConflictPolicy from another class loader. */
    private static boolean implementsByName(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (i.getName().equals(ConflictPolicy.class.getName())) {
                    return true;
                }
            }
        }
        return false;
    }
}
