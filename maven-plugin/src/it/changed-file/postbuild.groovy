def log = new File(basedir, 'build.log').text
int second = log.indexOf('cnnc: generated 1 model, 1 up to date, 0 removed')
assert second >= 0 : 'only the edited model is regenerated'
assert log.indexOf('cnnc:   generated from com/example/models/tiny.cnn', second) > second
assert log.indexOf('generated from com/example/models/other.cnn', second) < 0
def tiny = new File(basedir, 'target/generated-sources/cnnc/com/example/models/Tiny.java').text
assert tiny.contains('conv 7 3x3') : 'the regenerated source is the edited model'
true
