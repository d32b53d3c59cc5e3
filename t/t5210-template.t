#!/bin/sh
test_description='mlreg template: the description from the README first paragraph,
readme_url on the branch checked out (the commit when detached), the framework
version a model file records, and a header naming the fields still to fill in,
which are exactly what validate fails on'
. "$(dirname "$0")/lib.sh"

# spec_value FILE KEY: the value of a top-level "KEY: ..." line of FILE, unquoted
spec_value () {
	sed -n "s/^$2: \"\(.*\)\"$/\1/p" "$1"
}

test_expect_success 'setup' '
	printf "weights" >weights.bin &&
	mkdir MAX-Text_Classifier &&
	(
		cd MAX-Text_Classifier &&
		git init -q -b trunk &&
		git remote add origin git@github.com:IBM/MAX-Text-Classifier.git
	)
'

test_expect_success 'the description is the README first paragraph, on one line, without markup' '
	cat >MAX-Text_Classifier/README.md <<-\EOF &&
	[![Build Status](https://travis-ci.com/IBM/x.svg)](https://travis-ci.com/IBM/x)

	# IBM Code Model Asset Exchange: Text Classifier

	This repository contains code to instantiate and deploy a **text classification**
	model. The model takes a `sentence` and returns, as
	[IBM Developer](https://developer.ibm.com) does, 5 * 3 labels.

	The second paragraph is not part of it.
	EOF
	(cd MAX-Text_Classifier && mlreg template servable) >s.yaml &&
	echo "This repository contains code to instantiate and deploy a text classification model. The model takes a sentence and returns, as IBM Developer does, 5 * 3 labels." >expect &&
	spec_value s.yaml description >got &&
	test_cmp expect got
'

test_expect_success 'front matter, RST titles, lists and code are no description' '
	mkdir rst &&
	cat >rst/README.rst <<-\EOF &&
	=================
	 A model in RST
	=================

	.. image:: https://example.com/badge.svg

	* a list item

	::

	    code

	Text Classifier for *short* texts,
	in one paragraph.
	EOF
	mlreg template servable rst >r.yaml &&
	echo "Text Classifier for short texts, in one paragraph." >expect &&
	spec_value r.yaml description >got &&
	test_cmp expect got &&
	mkdir front &&
	printf -- "---\ntitle: x\n---\n\nFront matter aside, this.\n" >front/README.md &&
	mlreg template servable front >f.yaml &&
	echo "Front matter aside, this." >expect &&
	spec_value f.yaml description >got &&
	test_cmp expect got
'

test_expect_success 'readme_url is on the branch checked out, even before the first commit' '
	spec_value s.yaml readme_url >got &&
	echo "https://raw.githubusercontent.com/IBM/MAX-Text-Classifier/trunk/README.md" >expect &&
	test_cmp expect got &&
	spec_value s.yaml website >got &&
	echo "https://github.com/IBM/MAX-Text-Classifier" >expect &&
	test_cmp expect got &&
	(
		cd MAX-Text_Classifier &&
		git add README.md &&
		git -c user.name=t -c user.email=t@example.com commit -q -m readme &&
		git checkout -q -b release-2 &&
		mlreg template servable >../s2.yaml &&
		git checkout -q --detach &&
		git rev-parse HEAD >../head &&
		mlreg template servable >../s3.yaml
	) &&
	spec_value s2.yaml readme_url >got &&
	echo "https://raw.githubusercontent.com/IBM/MAX-Text-Classifier/release-2/README.md" >expect &&
	test_cmp expect got &&
	spec_value s3.yaml readme_url >got &&
	echo "https://raw.githubusercontent.com/IBM/MAX-Text-Classifier/$(cat head)/README.md" >expect &&
	test_cmp expect got
'

test_expect_success 'the identifier is one MLX accepts; the port is quoted, as MLX writes it' '
	spec_value s.yaml model_identifier >got &&
	echo max-text-classifier >expect &&
	test_cmp expect got &&
	spec_value s.yaml name >got &&
	echo "MAX Text Classifier" >expect &&
	test_cmp expect got &&
	test_grep "^    container_port: \"5000\"$" s.yaml
'

test_expect_success 'the header names the fields still to fill in, and validate fails on exactly those' '
	test_grep "^# Still to fill in (mlreg validate fails until then): framework.name, framework.version, domain, serve.serving_container_image.container_image_url\.$" s.yaml &&
	test_expect_code 1 mlreg validate weights.bin --spec s.yaml >out &&
	grep "^problem" out | sed "s/.* line [0-9]*: \([^:]*\): .*/\1/" >got &&
	test_write_lines framework.name framework.version domain \
		serve.serving_container_image.container_image_url >expect &&
	test_cmp expect got
'

test_expect_success 'a model file gives the framework and the version it records' '
	mkdir -p MAX-Text_Classifier/assets &&
	test_fixture make-savedmodel.py model MAX-Text_Classifier/assets/saved_model.pb &&
	(cd MAX-Text_Classifier && mlreg template servable) >s4.yaml &&
	test_grep "^  name: \"tensorflow\"$" s4.yaml &&
	test_grep "^  version: \"2.11.0\"$" s4.yaml &&
	test_grep "^# Still to fill in (mlreg validate fails until then): domain, serve.serving_container_image.container_image_url\.$" s4.yaml
'

test_expect_success 'without a remote, readme_url is to be filled in too; filled, the spec validates' '
	mkdir plain && printf "A plain model.\n" >plain/README &&
	mlreg template trainable plain >t.yaml &&
	test_grep "^# Still to fill in (mlreg validate fails until then): author.name, author.email, framework.name, framework.version, domain, website, readme_url, data_stores\[0\].connection.endpoint\.$" t.yaml &&
	sed -e "s/<author_name>/Ann/" -e "s/<author_email>/ann@example.com/" \
		-e "s/<framework_name>/sklearn/" -e "s/<framework_version>/1.2/" -e "s/<domain>/Tabular/" \
		-e "s|<model_website>|https://example.com/plain|" -e "s|<readme_url>|https://example.com/plain/README|" \
		-e "s|<object_storage_endpoint>|https://s3.example.com|" t.yaml >t-filled.yaml &&
	mlreg validate weights.bin --spec t-filled.yaml >out &&
	test_grep "^validation passed" out
'

test_done
