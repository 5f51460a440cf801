package com.example.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.runtime.data.Dataset;
import dev.cnnc.runtime.train.Evaluation;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClassifierTest {
    final Path data = Path.of(System.getProperty("cnnc.sampleData", "../data/fashion-mnist-small"));

    @Test
    void theGeneratedModelHasTheParametersTheCnnFileDescribes() {
        try (FashionNet net = new FashionNet(1, 1)) {
            // conv 8: 8*9+8, conv 16: 16*8*9+16, dense 10: 10*784+10
            assertEquals(80 + 1168 + 7850, net.parameters().length);
            assertEquals(28 * 28, net.inputSize());
            assertEquals(10, net.outputSize());
        }
    }

    @Test
    void theRuntimeIsAllThatIsOnTheClassPath() {
        for (String absent : new String[] {"dev.cnnc.compiler.Frontend", "org.antlr.v4.runtime.Lexer", "com.palantir.javapoet.JavaFile"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent + " must not be needed at run time");
        }
    }

    @Test
    void aFewStepsOfTrainingLowerTheLoss() throws Exception {
        Dataset train = Classifier.trainingData(data);
        Dataset test = Classifier.testData(data);
        try (Classifier classifier = new Classifier(7, new PrintStream(OutputStream.nullOutputStream()))) {
            Evaluation before = classifier.evaluate(test);
            classifier.train(train, 60, 7);
            Evaluation after = classifier.evaluate(test);
            assertTrue(after.loss() < 0.8 * before.loss(), "test loss " + before.loss() + " -> " + after.loss());
            assertTrue(after.accuracy() > before.accuracy() + 0.2, "test accuracy " + before.accuracy() + " -> " + after.accuracy());
        }
    }
}
