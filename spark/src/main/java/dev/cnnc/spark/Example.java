package dev.cnnc.spark;

import java.io.Serializable;

/** One training example as Spark moves it: its index in the files, its raw pixels as stored (channels last) and its class. */
record Example(int index, byte[] pixels, int label) implements Serializable {
}
