package dev.cnnc.compiler.model;

import java.math.BigDecimal;

/** Numbers as a person writes them in a .cnn file: 0.0003, not 3.0E-4; 2, not 2.0. */
public final class Numbers {
    private Numbers() {
    }

    public static String plain(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        return new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
    }
}
