def log = new File(basedir, 'build.log').text
assert log.contains('cnnc: generated 0 models, 1 up to date, 1 removed')
assert log.contains('cnnc:   removed the sources of com/example/models/other.cnn')
def out = new File(basedir, 'target/generated-sources/cnnc/com/example/models')
assert !new File(out, 'Other.java').exists()
assert new File(out, 'Tiny.java').isFile()
true
