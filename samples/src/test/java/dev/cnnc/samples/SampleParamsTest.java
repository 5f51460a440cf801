package dev.cnnc.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cnnc.compiler.CheckResult;
import dev.cnnc.compiler.Frontend;
import dev.cnnc.compiler.SourceFiles;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each sample's parameter counts, as PyTorch counts them for the same network
 * (sum of p.numel() over parameters(); batchnorm running mean and variance as non-trainable).
 */
class SampleParamsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // file,                 trainable,    non-trainable, where the figure comes from
        "fashion_mnist.cnn,      421642,       0",   // the seeds' MNIST/Fashion-MNIST net
        "cifar10_simple.cnn,     41418,        0",   // the seeds' CIFAR-10 SimpleCNN
        "dogs_vs_cats.cnn,       3453634,      0",   // 4 conv+pool blocks, dense 512, dense 2
        "lenet5.cnn,             61706,        0",   // LeNet-5
        "vgg16.cnn,              138357544,    0",   // torchvision.models.vgg16()
        "resnet18.cnn,           11689512,     9600", // torchvision.models.resnet18(); 2 x 4,800 batchnorm channels
        "vgg_stage.cnn,          3482378,      0",    // 3 x Conv2d(.., 256, 3) (1,475,328) + Linear(28*28*256, 10) (2,007,050)
        "resnet_block.cnn,       74634,        256"   // 2 x Conv2d(64, 64, 3, bias=False) + 2 x BatchNorm2d(64) + Linear(64, 10)
    })
    void parameterCountsMatchPyTorch(String file, long trainable, long nonTrainable) throws Exception {
        CheckResult r = Frontend.check(SourceFiles.read(Path.of(file)));
        assertTrue(r.ok(), () -> file + ": " + r.diagnostics());
        assertEquals(trainable, r.model().trainableParams(), file);
        assertEquals(nonTrainable, r.model().nonTrainableParams(), file);
    }
}
