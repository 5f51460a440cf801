def log = new File(basedir, 'build.log').text
// <outputDirectory> and <packageName>: the folder under <sourceDirectory> does not set the package
def out = new File(basedir, 'target/nets-src/org/acme/nets')
def java = new File(out, 'Small.java').text
assert java.contains('package org.acme.nets;')
// <simd>none</simd>: the plain-Java kernels
assert java.contains('Gemm.of(false)') && !java.contains('Gemm.of(true)')
// <backend>both</backend>: the Java class, the OpenCL host class and its kernels, all compiled by javac
assert new File(out, 'SmallOpenCl.java').text.contains('extends OpenClNetwork')
assert new File(out, 'Small.cl').text.contains('__kernel')
assert new File(basedir, 'target/classes/org/acme/nets/Small.class').isFile()
assert new File(basedir, 'target/classes/org/acme/nets/SmallOpenCl.class').isFile()
assert !new File(basedir, 'target/generated-sources/cnnc').exists()
assert log.contains('cnnc: generated 1 model, 0 up to date, 0 removed (target/nets-src)')
true
