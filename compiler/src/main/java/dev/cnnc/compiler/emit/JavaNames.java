package dev.cnnc.compiler.emit;

import javax.lang.model.SourceVersion;

/** Which names generated Java may use; the command line and the Maven plugin check packages the same way. */
public final class JavaNames {
    private JavaNames() {
    }

    /** Null when {@code name} can be a package (the empty name is the default package); otherwise why not, for the user. */
    public static String packageProblem(String name) {
        if (name.isEmpty()) {
            return null;
        }
        for (String part : name.split("\\.", -1)) {
            if (!SourceVersion.isIdentifier(part) || SourceVersion.isKeyword(part)) {
                return "'" + part + "' cannot be part of a Java package name"
                        + (SourceVersion.isKeyword(part) ? " (it is a Java keyword)" : part.isEmpty() ? " (an empty part)" : "");
            }
        }
        return null;
    }
}
