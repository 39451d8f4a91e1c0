-- XA RECOVER lists other sessions' prepared branches only with SUPER.
GRANT SUPER ON *.* TO 'xatm'@'%';
