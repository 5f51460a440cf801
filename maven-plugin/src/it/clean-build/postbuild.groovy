def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/generated-sources/cnnc/com/example/models')
assert new File(out, 'Tiny.java').text.contains('package com.example.models;')
assert new File(out, 'Other.java').isFile()
assert new File(basedir, 'target/classes/com/example/models/Tiny.class').isFile()
assert new File(basedir, 'target/classes/com/example/App.class').isFile()
assert log.contains('cnnc: generated 2 models, 0 up to date, 0 removed (target/generated-sources/cnnc)')
assert !log.contains('cnnc: the generated sources need the runtime')
true
