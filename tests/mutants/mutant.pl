#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# The text side of `make mutants`: reads tests/mutants/mutants.txt.
#
#   mutant.pl list  MUTANTS            one line per mutant:
#                                      name|file|progs|equivalent(0/1)|boot
#   mutant.pl field MUTANTS NAME KEY   one field of one mutant (bug, equivalent)
#   mutant.pl apply MUTANTS NAME ROOT  write the mutated file under ROOT,
#                                      from the pristine file in the current
#                                      directory; exit 2 if `find` does not
#                                      occur exactly once (a stale entry)
use strict;
use warnings;

sub unescape {
	my ($s) = @_;
	my %map = (n => "\n", t => "\t", '\\' => '\\');
	$s =~ s/\\([nt\\])/$map{$1}/g;
	return $s;
}

sub parse {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "mutants: cannot read $path: $!\n";
	my (@all, %cur);
	my $flush = sub {
		if (%cur) {
			die "mutants: $path: an entry without name\n"
				unless defined $cur{name};
			for my $k (qw(file find replace bug)) {
				die "mutants: $path: $cur{name}: no '$k:'\n"
					unless defined $cur{$k};
			}
			push @all, {%cur};
		}
		%cur = ();
	};
	while (my $line = <$fh>) {
		chomp $line;
		next if $line =~ /^#/;
		if ($line =~ /^\s*$/) {
			$flush->();
			next;
		}
		$line =~ /^(\w+):\s?(.*)$/
			or die "mutants: $path:$.: not 'key: value': $line\n";
		my ($k, $v) = ($1, $2);
		die "mutants: $path:$.: unknown key '$k'\n"
			unless $k =~ /^(name|file|find|replace|bug|progs|equivalent|boot)$/;
		$cur{$k} = $v;
	}
	$flush->();
	my %seen;
	for (@all) {
		die "mutants: $path: two entries named $_->{name}\n"
			if $seen{$_->{name}}++;
	}
	return @all;
}

sub find_one {
	my ($all, $name) = @_;
	for (@$all) {
		return $_ if $_->{name} eq $name;
	}
	die "mutants: no mutant named $name\n";
}

my ($cmd, $path, @args) = @ARGV;
die "usage: mutant.pl list|field|apply MUTANTS ...\n" unless $cmd && $path;
my @all = parse($path);

if ($cmd eq 'list') {
	for (@all) {
		printf "%s|%s|%s|%d|%s\n", $_->{name}, $_->{file},
			$_->{progs} // '', defined $_->{equivalent} ? 1 : 0,
			$_->{boot} // '';
	}
} elsif ($cmd eq 'field') {
	my $m = find_one(\@all, $args[0]);
	print $m->{$args[1]} // '', "\n";
} elsif ($cmd eq 'apply') {
	my ($name, $root) = @args;
	my $m = find_one(\@all, $name);
	open(my $in, '<', $m->{file})
		or die "mutants: $name: cannot read $m->{file}: $!\n";
	local $/;
	my $text = <$in>;
	close $in;
	# Leading whitespace of each line of `find` is not significant, so
	# the entry need not spell out the file's indentation.
	my @lines = split /\n/, unescape($m->{find}), -1;
	my $re = join "\n", map {
		my $l = $_;
		$l =~ s/^[ \t]+//;
		($l eq '' ? '' : '[ \t]*') . quotemeta($l);
	} @lines;
	$re =~ s/^\[ \\t\]\*//;		# the first line matches in mid-line
	my $count = () = $text =~ /$re/g;
	if ($count != 1) {
		print STDERR "mutants: $name: 'find' occurs $count times in $m->{file} (stale entry)\n";
		exit 2;
	}
	my $rep = unescape($m->{replace});
	$text =~ s/$re/$rep/;
	open(my $out, '>', "$root/$m->{file}")
		or die "mutants: cannot write $root/$m->{file}: $!\n";
	print $out $text;
	close $out;
} else {
	die "mutants: unknown command $cmd\n";
}
