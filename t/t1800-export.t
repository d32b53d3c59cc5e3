#!/bin/sh
test_description='export: the archive honours the umask, -o - writes to standard
output (not to a terminal unless forced), and -o replaces only a regular
file, through a temporary file, never following a link'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' '
	mlreg init &&
	mkdir m m/sub &&
	printf "weights\n" >m/w.bin &&
	printf "#!/bin/sh\necho hi\n" >m/sub/run.sh && chmod +x m/sub/run.sh &&
	mlreg register --create m m &&
	mlreg export m -o ref.zip &&
	mlreg export m -o ref.tar.gz
'

test_expect_success 'the archive gets 0666 less the umask' '
	for mask in 077 027 022 002
	do
		rm -f u.zip &&
		(umask $mask && mlreg export m -o u.zip) &&
		want=$(printf "%o" $((0666 & ~0$mask))) &&
		test "$(stat -c %a u.zip)" = "$want" || {
			echo "umask $mask: mode $(stat -c %a u.zip), wanted $want" >&2
			return 1
		}
	done
'

test_expect_success 'replacing an archive gives it the umask mode too' '
	printf old >r.zip && chmod 666 r.zip &&
	(umask 077 && mlreg export m -o r.zip) &&
	test "$(stat -c %a r.zip)" = 600 &&
	cmp ref.zip r.zip
'

test_expect_success '-o - writes the same bytes to standard output, file or pipe' '
	mlreg export m --format zip -o - >s.zip &&
	cmp ref.zip s.zip &&
	mlreg export m --format tar.gz -o - | cat >s.tar.gz &&
	cmp ref.tar.gz s.tar.gz &&
	mlreg export m --format tar.gz --output=- >s2.tar.gz &&
	cmp ref.tar.gz s2.tar.gz
'

test_expect_success '-o - needs --format' '
	test_fails 129 "missing --format zip|tar.gz" mlreg export m -o -
'

test_expect_success '-o - refuses a terminal, unless --force' '
	test_expect_code 129 "$PYTHON" "$TEST_DIRECTORY/helpers/on-tty.py" tty.out \
		mlreg export m --format zip -o - 2>err &&
	test_must_be_empty tty.out &&
	test_grep "^error: refusing to write a zip archive to a terminal (use --force to write it anyway)" err &&
	test_line_count = 1 err &&
	"$PYTHON" "$TEST_DIRECTORY/helpers/on-tty.py" tty.out \
		mlreg export m --format zip -o - --force &&
	cmp ref.zip tty.out &&
	"$PYTHON" "$TEST_DIRECTORY/helpers/on-tty.py" tty.out \
		mlreg export m --format tar.gz -f -o - &&
	cmp ref.tar.gz tty.out
'

test_expect_success '-o onto a symbolic link is refused; neither it nor its target changes' '
	printf precious >target && ln -s target link.zip &&
	test_fails 1 "^error: .link.zip. is a symbolic link: export replaces only a regular file$" \
		mlreg export m -o link.zip &&
	test -L link.zip && test "$(readlink link.zip)" = target &&
	test "$(cat target)" = precious &&
	ln -s nowhere dangling.zip &&
	test_fails 1 "is a symbolic link" mlreg export m -o dangling.zip &&
	test -L dangling.zip && test_path_is_missing nowhere &&
	ls -a >files && test_grep ! "\.tmp-" files
'

test_expect_success '-o onto a FIFO is refused at once (nothing opens it)' '
	mkfifo fifo.zip &&
	test_fails 1 "^error: .fifo.zip. is a FIFO: export replaces only a regular file$" \
		mlreg export m -o fifo.zip &&
	test -p fifo.zip
'

test_expect_success '-o onto a directory is refused' '
	mkdir dir.zip && printf x >dir.zip/keep &&
	test_fails 1 "^error: .dir.zip. is a directory: export replaces only a regular file$" \
		mlreg export m -o dir.zip &&
	test_fails 1 "is a directory" mlreg export m --format zip -o dir.zip/ &&
	test "$(cat dir.zip/keep)" = x
'

# MKNOD: device nodes can be made here (root, with CAP_MKNOD).
if mknod "$TEST_ROOT/probe" c 1 3 2>/dev/null
then
	rm -f "$TEST_ROOT/probe"
	test_set_prereq MKNOD
fi

test_expect_success MKNOD '-o onto a device is refused and the device stays' '
	mknod null.zip c 1 3 &&
	test_fails 1 "^error: .null.zip. is a device: export replaces only a regular file$" \
		mlreg export m -o null.zip &&
	test -c null.zip
'

test_expect_success 'a failed export leaves the old archive and no temporary file' '
	cp ref.zip keep.zip && cp ref.zip old.zip &&
	mlreg describe m --json >d.json &&
	obj=$(json_get d.json "[f for f in d[\"version\"][\"files\"] if f[\"path\"] == \"w.bin\"][0][\"sha256\"]") &&
	p=$(object_path "$obj") &&
	cp "$p" saved-object &&
	test_when_finished "chmod u+w \"$p\" && cp saved-object \"$p\"" &&
	chmod u+w "$p" && printf x >>"$p" &&
	test_fails 1 "object $obj is corrupt" mlreg export m -o old.zip &&
	cmp keep.zip old.zip &&
	ls -a >files && test_grep ! "\.tmp-" files &&
	test_fails 1 "object $obj is corrupt" mlreg export m --format tar.gz -o - &&
	ls -a "$MLREG_DIR/tmp" >tmpfiles && test_line_count = 2 tmpfiles
'

test_expect_success 'a directory that cannot take the temporary file: an error, nothing left' '
	test_fails 128 "^fatal: cannot create .nodir/a.zip.: No such file or directory$" \
		mlreg export m -o nodir/a.zip &&
	test_path_is_missing nodir
'

test_done
