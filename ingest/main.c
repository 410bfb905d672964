/* main.c - placeholder */
#include <stdio.h>
int main(void)
{
	puts("replyscan " RS_VERSION);
	return 0;
}
