
"serve"gpu*
a
"train*
b