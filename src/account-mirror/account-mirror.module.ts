import { Module } from '@nestjs/common';
import { AccountMirror } from './account-mirror.service';

@Module({ providers: [AccountMirror], exports: [AccountMirror] })
export class AccountMirrorModule {}
