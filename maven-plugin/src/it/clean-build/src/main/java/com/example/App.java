package com.example;

/** Uses the generated classes, so the build only passes if they compile. */
public final class App {
    public static void main(String[] args) {
        try (var tiny = new com.example.models.Tiny(4, 1); var other = new com.example.models.Other(4, 1)) {
            System.out.println(tiny.name() + " " + other.name());
        }
    }
}
